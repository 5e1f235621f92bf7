// <ivs-viewer>: types for the element, its attributes, properties, methods and events.

/** The playback states `state` and `statechange` name. */
export type IvsViewerState = 'Loading' | 'Idle' | 'Ready' | 'Buffering' | 'Playing' | 'Ended' | 'Offline' | 'Error' | (string & {});

export interface IvsViewerStateDetail {
  /** The state's name. */
  state: IvsViewerState;
  /** The state in words, as the viewer shows it. */
  status: string;
}

export interface IvsViewerCueDetail {
  /** The timed metadata's text (TEXT_METADATA_CUE), as the stream carried it. */
  text: string;
}

export interface IvsViewerVoteDetail {
  /** The poll's id. */
  poll: string;
  /** The option voted for, from 0. */
  option: number;
}

export interface IvsViewerErrorDetail {
  /** What went wrong, in words. */
  message: string;
}

export interface IvsViewerEventMap extends HTMLElementEventMap {
  statechange: CustomEvent<IvsViewerStateDetail>;
  cue: CustomEvent<IvsViewerCueDetail>;
  /** The visitor's vote, once the site counted it (with `site`). */
  vote: CustomEvent<IvsViewerVoteDetail>;
  error: CustomEvent<IvsViewerErrorDetail>;
}

/**
 * `<ivs-viewer playback-url="…">`. Attributes: `playback-url` (required without `site`), `site`
 * (a site server's origin: its chat, polls, votes and playback tokens), `autoplay` (default on;
 * `autoplay="false"` off), `muted`, `controls` and `chat` (default on; `="false"` off), `lang`, `theme`
 * (`"light"`). Parts: viewer, video, status, controls, captions, prompt, slate, notice, poll,
 * quiz, product, product-tray, chat, error.
 */
export declare class IvsViewerElement extends HTMLElement {
  static readonly observedAttributes: string[];
  /** Resolves once the viewer is mounted; rejects with why it could not start. */
  readonly ready: Promise<void>;
  /** The playback state now. */
  readonly state: IvsViewerState;
  playbackUrl: string | null;
  muted: boolean;
  /** 0 to 1. */
  volume: number;
  /** The renditions' names, once playing. */
  readonly qualities: string[];
  /** The rendition playing; setting one turns automatic choice off. */
  quality: string | null;
  play(): void;
  pause(): void;
  /** Seconds (a recording) or a position in the live window. */
  seek(seconds: number): void;
  addEventListener<K extends keyof IvsViewerEventMap>(type: K, listener: (this: IvsViewerElement, event: IvsViewerEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof IvsViewerEventMap>(type: K, listener: (this: IvsViewerElement, event: IvsViewerEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/** Where the IVS Player SDK comes from; set before the first element connects. */
export declare const settings: {
  /** The SDK's script; null: the package's copy (`ivs/amazon-ivs-player.min.js`). */
  sdkUrl: string | null;
  /** The folder with the SDK's worker files; null: the script's own folder. */
  sdkFolder: string | null;
};

/** The element's class, or null where there is no DOM (Node, server-side rendering). */
export declare const IvsViewer: typeof IvsViewerElement | null;
export default IvsViewer;

declare global {
  interface HTMLElementTagNameMap {
    'ivs-viewer': IvsViewerElement;
  }
}
