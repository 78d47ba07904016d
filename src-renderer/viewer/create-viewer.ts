// Framework-free OpenSeadragon adapter: create/destroy a viewer on an element; the drawer is configurable
// ('canvas' for pixel-readable tests, 'webgl' or 'auto' for the desktop).
import OpenSeadragon from 'openseadragon'

export type DrawerKind = 'canvas' | 'webgl' | 'auto'

export interface ViewerOptions {
  element: HTMLElement
  /** DZI URL or an OpenSeadragon tile-source object */
  tileSource: string | object
  drawer?: DrawerKind
  showNavigator?: boolean
  /** bounded tile cache (count; OSD counts tiles, not bytes) */
  maxImageCacheCount?: number
}

export interface ViewerHandle {
  osd: OpenSeadragon.Viewer
  destroy(): void
}

/** Default drawer: a `?drawer=` URL parameter wins (tests force 'canvas'), else 'auto'. */
export function defaultDrawer(): DrawerKind {
  const fromUrl = new URLSearchParams(window.location.search).get('drawer')
  return fromUrl === 'canvas' || fromUrl === 'webgl' ? fromUrl : 'auto'
}

export function createViewer(options: ViewerOptions): ViewerHandle {
  const osd = OpenSeadragon({
    element: options.element,
    tileSources: options.tileSource,
    drawer: options.drawer ?? defaultDrawer(),
    showNavigator: options.showNavigator ?? true,
    navigatorPosition: 'BOTTOM_RIGHT',
    showNavigationControl: false,
    maxImageCacheCount: options.maxImageCacheCount ?? 400,
    animationTime: 0.4,
    blendTime: 0,
    crossOriginPolicy: false,
    gestureSettingsMouse: { clickToZoom: false }
  })
  return {
    osd,
    destroy: () => osd.destroy()
  }
}
