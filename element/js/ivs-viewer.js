// <ivs-viewer>: the IVS viewer as a custom element.
//
// Importing this module does nothing but define the element — and only in a browser: in Node or
// during server-side rendering it defines nothing and throws nothing. The element renders nothing
// until it is upgraded and connected; then it attaches a shadow root, adopts its stylesheet (a
// constructable one: no 'unsafe-inline' needed), loads the IVS Player SDK once for the page (the
// package's copy beside this file, or `IvsViewer.sdkUrl`, or one the page loaded already) and the
// viewer's WebAssembly, and mounts the viewer.

const here = new URL('./', import.meta.url);

/** Where the IVS Player SDK's script is loaded from; a page that bundles its own sets this first. */
export const settings = {
  sdkUrl: null, // null: the package's copy, ./ivs/amazon-ivs-player.min.js
  sdkFolder: null, // the folder with its worker files; null: the SDK script's own folder
};

let wasm;
let sdk;
let sheet;

function loadWasm() {
  wasm ??= import('./ivs_viewer_element.js').then(async (module) => {
    await module.default({ module_or_path: new URL('ivs_viewer_element_bg.wasm', here) });
    return module;
  });
  return wasm;
}

function sdkScript() {
  return settings.sdkUrl ?? new URL('ivs/amazon-ivs-player.min.js', here).href;
}

function loadSdk() {
  if (globalThis.IVSPlayer) return Promise.resolve();
  sdk ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = sdkScript();
    script.onload = () => resolve();
    script.onerror = () => {
      sdk = null;
      reject(new Error(`the IVS Player SDK could not be loaded from ${script.src}`));
    };
    document.head.append(script);
  });
  return sdk;
}

const workersAsked = new Set();

/**
 * Asks for the SDK's worker script beside the SDK rather than a round trip after it (the worker
 * the SDK starts imports it then): as the site's page does, once a folder, at low priority.
 */
function preloadWorker(folder) {
  const href = new URL('amazon-ivs-wasmworker.min.js', folder).href;
  if (globalThis.IVSPlayer || workersAsked.has(href)) return;
  workersAsked.add(href);
  const link = Object.assign(document.createElement('link'), { rel: 'preload', as: 'fetch', crossOrigin: 'anonymous', href });
  link.setAttribute('fetchpriority', 'low');
  document.head.append(link);
}

function loadSheet() {
  sheet ??= fetch(new URL('ivs-viewer.css', here))
    .then((answer) => (answer.ok ? answer.text() : Promise.reject(new Error(`ivs-viewer.css: ${answer.status}`))))
    .then((css) => {
      const made = new CSSStyleSheet();
      made.replaceSync(css);
      return made;
    });
  return sheet;
}

// The site server's endpoints in its configuration, made absolute: they are on its origin.
const SITE_URLS = ['chatTokenUrl', 'stateUrl', 'votesUrl', 'playbackTokenUrl', 'stageTokenUrl', 'recordingsUrl', 'clipsUrl'];

/** The site server's viewer configuration (with the visitor's identity, which it may give). */
async function siteConfig(site) {
  let answer;
  try {
    answer = await fetch(new URL('config.json', site), { credentials: 'include' });
  } catch {
    throw new Error(`the site ${site.origin} could not be reached, or does not let this page use it (its embed_origins)`);
  }
  if (!answer.ok) throw new Error(`the site ${site.origin} answered ${answer.status}`);
  const config = await answer.json();
  for (const key of SITE_URLS) {
    if (typeof config[key] === 'string') config[key] = new URL(config[key], site).href;
  }
  return config;
}

/**
 * The player, created and loading as soon as the SDK is there — before the viewer's WebAssembly
 * has arrived, as the site's start-up script does — with its video in a stand-in of the viewer's
 * layout and its events kept. The viewer adopts it as it mounts (`__ivsViewerPrewarm`).
 */
function prewarm(url, muted, folder) {
  const IVS = globalThis.IVSPlayer;
  if (!IVS?.isPlayerSupported) return null;
  performance.mark('ivs:create');
  const player = IVS.create({
    wasmWorker: new URL('amazon-ivs-wasmworker.min.js', folder).href,
    wasmBinary: new URL('amazon-ivs-wasmworker.min.wasm', folder).href,
  });
  const video = document.createElement('video');
  video.className = 'video';
  video.setAttribute('playsinline', '');
  player.attachHTMLVideoElement(video);
  const standIn = document.createElement('div');
  standIn.id = 'ivs-boot';
  standIn.className = 'app ivs-element';
  let inner = standIn;
  for (const className of ['viewer', 'stage', 'frame']) {
    inner = inner.appendChild(Object.assign(document.createElement(className === 'viewer' ? 'section' : 'div'), { className }));
  }
  inner.append(video);
  const kept = [];
  const types = IVS.PlayerEventType;
  const names = [...Object.values(IVS.PlayerState), types.ERROR, types.TEXT_METADATA_CUE, types.AUDIO_BLOCKED, types.PLAYBACK_BLOCKED, types.MUTED_CHANGED];
  const listeners = names.map((name) => {
    const keep = (payload) => kept.push([name, payload]);
    player.addEventListener(name, keep);
    return [name, keep];
  });
  player.setAutoplay(true);
  if (muted) player.setMuted(true);
  performance.mark('ivs:load');
  player.load(url);
  const handOver = () => {
    listeners.forEach(([name, keep]) => player.removeEventListener(name, keep));
    return kept.splice(0);
  };
  return { standIn, adopt: { player, video, url, handOver } };
}

/** Resolves at the player's first frame, its error or blocked start, or after 800 ms. */
function firstFrameOrSoon({ player, video }) {
  const types = globalThis.IVSPlayer.PlayerEventType;
  return new Promise((resolve) => {
    const done = () => {
      player.removeEventListener(types.ERROR, done);
      player.removeEventListener(types.PLAYBACK_BLOCKED, done);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, 800);
    player.addEventListener(types.ERROR, done);
    player.addEventListener(types.PLAYBACK_BLOCKED, done);
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(done);
    else video.addEventListener('loadeddata', done, { once: true });
  });
}

const flag = (element, name, fallback) => (element.hasAttribute(name) ? element.getAttribute(name) !== 'false' : fallback);

function defineElement() {
  class IvsViewerElement extends HTMLElement {
    static observedAttributes = ['playback-url', 'site', 'muted', 'autoplay', 'controls', 'chat', 'theme', 'lang'];

    #mounted = null;
    #root = null;
    #starting = null;

    connectedCallback() {
      this.#starting ??= this.#start().catch((error) => this.#fail(error));
    }

    disconnectedCallback() {
      // Moved within the page: connectedCallback follows at once; keep the viewer then.
      queueMicrotask(() => {
        if (!this.isConnected) this.#stop();
      });
    }

    attributeChangedCallback(name, before, after) {
      // theme: the stylesheet follows the attribute by itself.
      if (before === after || !this.#mounted || name === 'theme') return;
      if (name === 'muted') this.#mounted.setMuted(after !== null && after !== 'false');
      else this.#restart();
    }

    async #start() {
      // A page's script may set `settings` right after importing the package.
      await null;
      const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
      // The player starts as soon as the SDK is there, and its video shows once the styles (small,
      // fetched beside it) are in; the viewer (the WebAssembly, larger) is fetched once the first
      // frame is in — or after 800 ms, an error or a blocked start — so it never competes with
      // the stream, and adopts the player.
      const folder = settings.sdkFolder ?? new URL('./', new URL(sdkScript(), document.baseURI)).href;
      const sheet = loadSheet();
      sheet.catch(() => {}); // Met where it is awaited, below.
      const sdkReady = loadSdk();
      preloadWorker(folder);
      const site = this.getAttribute('site');
      const config = site ? await siteConfig(new URL(site, document.baseURI)) : {};
      const given = this.getAttribute('playback-url') ?? config.playbackUrl;
      if (!given) throw new Error('the playback-url attribute is missing');
      const url = new URL(given, document.baseURI).href;
      await sdkReady;
      if (!this.isConnected) return;
      const autoplay = flag(this, 'autoplay', true);
      const muted = flag(this, 'muted', false);
      // A private channel's stream needs a token first: the viewer fetches it, then loads.
      const early = autoplay && !config.playbackTokenUrl ? prewarm(url, muted, folder) : null;
      // A player started here is the viewer's once handed over; until then, ended here if the
      // element leaves the page or a file it waits for cannot be had.
      let handedOver = false;
      try {
        shadow.adoptedStyleSheets = [await sheet];
        if (!this.isConnected) return;
        shadow.replaceChildren(...(early ? [early.standIn] : []));
        if (early) await firstFrameOrSoon(early.adopt);
        const viewer = await loadWasm();
        if (!this.isConnected) return;
        this.#root = document.createElement('div');
        this.#root.className = 'ivs-root';
        // The viewer's language: the element's `lang`, else the page's, else the browser's.
        await viewer.speak(this.#root, this.getAttribute('lang') || document.documentElement.lang || null, here.href);
        if (!this.isConnected) return;
        shadow.append(this.#root);
        const options = {
          config: { ...config, playbackUrl: url, autoplay, muted, allowQueryOverrides: false },
          sdkFolder: folder,
          controls: flag(this, 'controls', true),
          chat: flag(this, 'chat', true),
        };
        // Taken by the viewer as it mounts (synchronously: no other element can take it).
        globalThis.__ivsViewerPrewarm = early?.adopt;
        handedOver = true;
        try {
          this.#mounted = viewer.mount(this, this.#root, JSON.stringify(options));
        } finally {
          delete globalThis.__ivsViewerPrewarm;
        }
      } finally {
        if (!handedOver) early?.adopt.player.delete();
      }
    }

    #stop() {
      this.#mounted?.unmount();
      this.#mounted = null;
      this.#starting = null;
      this.shadowRoot?.replaceChildren();
    }

    #restart() {
      this.#stop();
      if (this.isConnected) this.connectedCallback();
    }

    #fail(error) {
      this.#starting = null;
      const message = error instanceof Error ? error.message : String(error);
      const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
      const line = document.createElement('p');
      line.setAttribute('part', 'error');
      line.setAttribute('role', 'alert');
      line.textContent = `The player could not start: ${message}.`;
      shadow.replaceChildren(line);
      this.dispatchEvent(new CustomEvent('error', { detail: { message }, bubbles: true, composed: true }));
    }

    /** Resolves once the viewer is mounted (or rejects with why it could not be). */
    get ready() {
      return this.#starting ?? Promise.resolve();
    }

    play() {
      this.#mounted?.play();
    }

    pause() {
      this.#mounted?.pause();
    }

    seek(seconds) {
      this.#mounted?.seek(Number(seconds));
    }

    get state() {
      return this.#mounted?.state() ?? 'Loading';
    }

    get muted() {
      return this.#mounted?.muted() ?? flag(this, 'muted', false);
    }

    set muted(value) {
      this.toggleAttribute('muted', Boolean(value));
    }

    get volume() {
      return this.#mounted?.volume() ?? 1;
    }

    set volume(value) {
      this.#mounted?.setVolume(Number(value));
    }

    get qualities() {
      return this.#mounted?.qualities() ?? [];
    }

    get quality() {
      return this.#mounted?.quality() ?? null;
    }

    set quality(name) {
      if (this.#mounted && !this.#mounted.setQuality(String(name))) {
        this.dispatchEvent(new CustomEvent('error', { detail: { message: `there is no quality named “${name}”` }, bubbles: true, composed: true }));
      }
    }

    get playbackUrl() {
      return this.getAttribute('playback-url');
    }

    set playbackUrl(url) {
      this.setAttribute('playback-url', url);
    }
  }
  customElements.define('ivs-viewer', IvsViewerElement);
  return IvsViewerElement;
}

/** The element's class, or null where there is no DOM (Node, server-side rendering). */
export const IvsViewer =
  typeof customElements !== 'undefined' && typeof HTMLElement !== 'undefined'
    ? customElements.get('ivs-viewer') ?? defineElement()
    : null;

export default IvsViewer;
