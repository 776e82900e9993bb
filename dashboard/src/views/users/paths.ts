// Where the users view of an app is.

/** Where the users view of an app is (links are absolute: relative ones in a splat route
 * resolve against the whole URL). */
export function usersPath(applicationId: string) {
  return `/apps/${encodeURIComponent(applicationId)}/users`
}
