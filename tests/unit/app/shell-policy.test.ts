// The Electron shell's pure decisions: app URLs are parsed, not prefix-matched; IPC is trusted only from the main
// window's main frame showing the app; navigation (and redirects, subframes) stays inside the app.
import { describe, expect, it } from 'vitest'
import { allowNavigation, isAppUrl, isTrustedSender, type FrameLike } from '../../../src-main/app/shell-policy'

describe('shell policy', () => {
  it('recognises app URLs by parsing them', () => {
    for (const u of ['tessera://app/index.html', 'tessera://app/', 'tessera://app/res/slides/1.dzi?x=1']) expect(isAppUrl(u), u).toBe(true)
    for (const u of ['tessera://app.evil/index.html', 'tessera://app@evil/', 'tessera://evil/app/', 'tessera://app:81/', 'https://app/', 'file:///tessera://app/', 'javascript:alert(1)//tessera://app/', '', 'not a url', null, undefined]) {
      expect(isAppUrl(u), String(u)).toBe(false)
    }
    expect(allowNavigation('https://example.com/')).toBe(false)
    expect(allowNavigation('tessera://app/#/projects')).toBe(true)
  })

  it('trusts IPC only from the main frame of the main window showing the app', () => {
    const mainFrame: FrameLike = { processId: 7, routingId: 1, url: 'tessera://app/index.html' }
    const main = { contentsId: 3, frame: mainFrame }
    expect(isTrustedSender(3, { ...mainFrame }, main)).toBe(true)
    // a subframe of the same page (same process, another routing id), even on an app URL
    expect(isTrustedSender(3, { processId: 7, routingId: 2, url: 'tessera://app/index.html' }, main)).toBe(false)
    // another window or webview
    expect(isTrustedSender(4, { ...mainFrame }, main)).toBe(false)
    // the main frame after navigating somewhere else, or to a look-alike origin the old prefix check accepted
    expect(isTrustedSender(3, { ...mainFrame, url: 'https://evil.example/' }, main)).toBe(false)
    expect(isTrustedSender(3, { ...mainFrame, url: 'tessera://app.evil/' }, main)).toBe(false)
    // a frame gone while the message was in flight, or no window yet
    expect(isTrustedSender(3, null, main)).toBe(false)
    expect(isTrustedSender(3, { ...mainFrame }, null)).toBe(false)
  })
})
