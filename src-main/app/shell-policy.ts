// Pure security decisions of the Electron shell (no electron import, unit-tested under Node): which URLs the
// window may show and which IPC senders are trusted.

/** The only origin the window may load: the built renderer through the tessera:// protocol. */
export const APP_ORIGIN = 'tessera://app'

/** True for URLs of our own app (parsed, not prefix-matched: `tessera://app.evil/` or `tessera://app@x/` are not ours). */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  return u.protocol === 'tessera:' && u.host === 'app' && u.username === '' && u.password === '' && u.port === ''
}

/** What an IPC message's sender looks like (the subset of Electron's WebFrameMain the decision needs). */
export interface FrameLike {
  processId: number
  routingId: number
  url: string
}

/**
 * An IPC call is trusted only when it comes from our main window's main frame (same process and routing id, not a
 * subframe, not another window or webview) and that frame currently shows our app. A null frame (navigated away
 * or destroyed while the message was in flight) is refused.
 */
export function isTrustedSender(senderContentsId: number, senderFrame: FrameLike | null | undefined, main: { contentsId: number; frame: FrameLike } | null): boolean {
  if (!main || !senderFrame) return false
  if (senderContentsId !== main.contentsId) return false
  if (senderFrame.processId !== main.frame.processId || senderFrame.routingId !== main.frame.routingId) return false
  return isAppUrl(senderFrame.url)
}

/** Navigation (including redirects and subframe navigations) stays inside the app; everything else is refused. */
export function allowNavigation(url: string): boolean {
  return isAppUrl(url)
}
