// Counts this process's open sockets and io_uring instances, read from /proc/self/fd. Leak checks count these
// instead of every descriptor: Node and libuv open others lazily on their own (a /dev/null, an eventfd), which
// are not the code under test's to close.
import { readdirSync, readlinkSync } from 'node:fs';

/** What a descriptor of this process points at, or undefined once it is gone. */
function target(fd: string): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** The descriptors that are sockets or rings, each as `fd=target`, for a failure message. */
export function networkDescriptors(): string[] {
  const found: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    const link = target(fd);
    if (link !== undefined && (link.startsWith('socket:') || link === 'anon_inode:[io_uring]')) found.push(`${fd}=${link}`);
  }
  return found;
}

/** How many sockets and io_uring instances this process holds open. */
export const openSockets = (): number => networkDescriptors().length;
