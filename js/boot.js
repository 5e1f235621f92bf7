// The page's start-up, in the order that gets the first picture on screen soonest:
//  1. create the IVS player the moment the SDK has loaded, with its <video> in a stand-in stage
//     (same classes as the app's), and — when the page carries its configuration inline and the
//     address overrides nothing — start loading the stream;
//  2. start the app's own wasm once that first frame is on screen (at once if the player reports
//     an error or a blocked start, else after 800 ms at most), so downloading, compiling and
//     mounting the app never competes with the player for the machine.
// The app adopts the player, its video and the events seen so far (src/bindings/ivs.rs). Without
// a usable SDK or inline configuration, step 1 does less and the app does the rest itself.
(function () {
  "use strict";
  // Pages without the channel's player: the embed code generator and the real-time stage.
  var NO_PLAYER = /\/(embed-code|stage|past)\/?$/;
  // The studio: the producer's page, a module of its own (studio/, beside the app's files) that
  // shows the same player as a preview; the viewer's app is not started there.
  var STUDIO = /\/studio\/?$/.test(location.pathname);
  // The locales the viewer speaks (ivs_proto::words::LOCALES; a test keeps the two the same).
  var LOCALES = ["en", "es", "pt-BR", "de", "fr", "ja", "ko", "ar"];
  words();
  var video = prewarm();
  var started = false;
  // `why`: "first-frame", "stopped" (an error or a blocked start), "timeout", or "not-loading"
  // (no stream loading to wait for); the mark says which, for the tests.
  function startApp(why) {
    if (started) return;
    started = true;
    whenBody(function () { mountApp(why); });
  }
  function mountApp(why) {
    performance.mark("boot:start-app", { detail: why });
    // Trunk names the app's hashed files in the page (see Trunk.toml); load them from there.
    var js = document.querySelector('meta[name="ivs-viewer-js"]');
    var wasm = document.querySelector('meta[name="ivs-viewer-wasm"]');
    if (!js || !wasm) {
      console.error("ivs-viewer: the app's files are not named in the page");
      return;
    }
    if (STUDIO) return mountStudio(new URL("studio/", new URL(js.content, document.baseURI)));
    var app = import(js.content);
    preload(js.content, wasm.content);
    app.then(function (app) {
      return app.default({ module_or_path: wasm.content });
    }).catch(function (e) {
      console.error("ivs-viewer: the app failed to start", e);
    });
  }
  function mountStudio(base) {
    var sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = new URL("studio.css", base).href;
    document.head.appendChild(sheet);
    import(new URL("ivs_studio.js", base).href).then(function (studio) {
      return studio.default({ module_or_path: new URL("ivs_studio_bg.wasm", base).href });
    }).catch(function (e) {
      console.error("ivs-viewer: the studio failed to start", e);
    });
  }
  // Fetches, beside the app's JS, what it would otherwise ask for one after the other: its wasm,
  // the loader of its parts, and the stage part every viewer shows (named by the build:
  // scripts/finish-wasm.sh). The app's own requests then find them in flight or done.
  function preload(jsUrl, wasmUrl) {
    var meta = document.querySelector('meta[name="ivs-viewer-prefetch"]');
    var names = meta ? meta.content.split(/\s+/).filter(Boolean) : [];
    // A page without the player takes only the loader, not the part drawn over the video.
    if (NO_PLAYER.test(location.pathname)) names = names.filter(function (name) { return /\.js$/.test(name); });
    var beside = new URL(jsUrl, document.baseURI); // the build puts them beside the app's JS
    var urls = [wasmUrl].concat(names.map(function (name) { return new URL(name, beside).href; }));
    urls.forEach(function (url) {
      var link = document.createElement("link");
      if (/\.js$/.test(url)) {
        link.rel = "modulepreload";
      } else {
        link.rel = "preload";
        link.as = "fetch";
        link.crossOrigin = "anonymous";
        // The core first: the parts are of no use before it runs.
        if (url !== wasmUrl) link.fetchPriority = "low";
      }
      link.href = url;
      document.head.appendChild(link);
    });
  }
  if (video && video.readyState < 2) {
    // Start the app once the first frame is on screen, not while it is being presented: the
    // app's start-up would hold the main thread the frame needs.
    var afterFirstFrame = function () {
      // The viewer's time to first frame, for the site's analytics (src/hooks/use_analytics.rs).
      performance.mark("boot:first-frame");
      setTimeout(startApp, 0, "first-frame");
    };
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback(afterFirstFrame);
    } else {
      video.addEventListener("loadeddata", function () { requestAnimationFrame(afterFirstFrame); }, { once: true });
    }
    setTimeout(startApp, 800, "timeout");
  } else {
    startApp("not-loading");
  }

  // The viewer's locale — the `lang` parameter, else the browser's languages, else English, by
  // the rule of ivs_proto::words::choose — and its words' file, asked for now so that the app
  // finds it in hand (src/i18n.rs); the page takes the locale's language and direction at once.
  function words() {
    var wanted = [new URLSearchParams(location.search).get("lang")].concat(navigator.languages || [navigator.language]);
    var locale = "en";
    search: for (var i = 0; i < wanted.length; i++) {
      var tag = (wanted[i] || "").trim().toLowerCase();
      if (!tag) continue;
      for (var pass = 0; pass < 2; pass++) {
        for (var j = 0; j < LOCALES.length; j++) {
          var own = LOCALES[j].toLowerCase();
          if (pass === 0 ? own === tag : own.split("-")[0] === tag.split(/[-_]/)[0]) { locale = LOCALES[j]; break search; }
        }
      }
    }
    var root = document.documentElement;
    root.lang = locale;
    root.dir = /^(ar|he|fa|ur|ps|yi|dv|ckb)$/.test(locale.split("-")[0]) ? "rtl" : "ltr";
    var file = new URL("locales/" + locale + ".json", (document.currentScript && document.currentScript.src) || document.baseURI).href;
    var text = locale === "en" ? Promise.resolve(null) : fetch(file).then(function (r) { return r.ok ? r.text() : null; }).catch(function () { return null; });
    window.__ivsWords = { locale: locale, text: text };
  }

  // Returns the video when the stream is already loading, otherwise null.
  function prewarm() {
    if (!window.IVSPlayer || !IVSPlayer.isPlayerSupported) return null;
    if (NO_PLAYER.test(location.pathname)) return null; // no player on that page
    // The SDK's worker and wasm are beside its script (in a folder named by the build).
    var sdk = document.querySelector('script[src*="amazon-ivs-player"]');
    var base = sdk ? new URL(".", sdk.src).href : new URL("ivs/", document.baseURI).href;
    var player;
    try {
      performance.mark("ivs:create");
      player = IVSPlayer.create({
        wasmWorker: base + "amazon-ivs-wasmworker.min.js",
        wasmBinary: base + "amazon-ivs-wasmworker.min.wasm",
      });
    } catch (e) {
      return null; // the app tries again and says what went wrong
    }
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.className = "video";
    player.attachHTMLVideoElement(video);
    // A video shows frames only in the document: until the app mounts its own stage, the video
    // sits in a stand-in with the same layout, which the app removes once it has moved the video.
    var inline = document.getElementById("ivs-viewer-config");
    var config = null;
    try {
      config = inline ? JSON.parse(inline.textContent) : null;
    } catch (e) {
      config = null;
    }
    var query = new URLSearchParams(location.search);
    var frame = element("div", "frame", video);
    var standIn = element("main", "app", element("section", "viewer", element("div", "stage", frame)));
    standIn.id = "ivs-boot";
    whenBody(function () { document.body.appendChild(standIn); });
    // Keep the video where it will be once the chat is beside it (embedded: only with ?chat=1).
    var embed = /\/embed\/?$/.test(location.pathname);
    if (embed) standIn.className += " embed";
    var chatWanted = embed ? query.get("chat") === "1" : query.get("chat") !== "0" && query.get("chat") !== "false";
    if (config && typeof config.chatEndpoint === "string" && chatWanted) {
      standIn.className += " with-chat";
      var chat = document.createElement("aside");
      chat.className = "chat";
      standIn.appendChild(chat);
    }

    var kept = [];
    var types = IVSPlayer.PlayerEventType;
    var names = Object.keys(IVSPlayer.PlayerState).map(function (k) { return IVSPlayer.PlayerState[k]; }).concat([
      types.ERROR, types.TEXT_METADATA_CUE, types.AUDIO_BLOCKED, types.PLAYBACK_BLOCKED, types.MUTED_CHANGED,
    ]);
    // No frame is coming when the stream cannot play (offline, refused) or the browser wants a
    // click first: the app starts at once to say so.
    var stopping = [types.ERROR, types.PLAYBACK_BLOCKED];
    var listeners = names.map(function (name) {
      var keep = function (payload) {
        kept.push([name, payload]);
        if (stopping.indexOf(name) >= 0) setTimeout(startApp, 0, "stopped");
      };
      player.addEventListener(name, keep);
      return [name, keep];
    });

    var url = null;
    // A replay (?recording=) or a clip (?clip=) plays what the app looks up first.
    var overridden = ["playbackUrl", "autoplay", "muted", "recording", "clip"].some(function (name) { return query.has(name); });
    // Only the plain case; anything else is left to the app, which checks it fully.
    // A private channel needs a playback token first; the app fetches it and loads.
    if (config && !overridden && !config.playbackTokenUrl && typeof config.playbackUrl === "string" && /^https?:\/\/\S+$/i.test(config.playbackUrl) && config.autoplay !== false) {
      player.setAutoplay(true);
      if (config.muted === true) player.setMuted(true);
      url = config.playbackUrl;
      performance.mark("ivs:load");
      player.load(url);
    }

    var controls = standInControls(player, frame);
    window.__ivsViewerPrewarm = {
      player: player,
      video: video,
      url: url,
      // The stand-in control bar: the app moves it beside the video with the video, and removes it
      // (with its listeners) when its own control bar is on screen (src/bindings/ivs.rs).
      controls: controls.bar,
      releaseControls: controls.release,
      handOver: function () {
        listeners.forEach(function (l) { player.removeEventListener(l[0], l[1]); });
        return kept.splice(0);
      },
    };
    return url ? video : null;
  }

  // A control bar from the first frame, before the app has started: play/pause, mute and full
  // screen (and their keys: K or space, M, F), with the app's classes, icons and words
  // (locales/*.json; English below, as src/i18n.rs has it built in — a test keeps them the same).
  // The app's own bar (src/components/controls.rs) replaces it; until then, or if that part
  // cannot be fetched, this one works.
  function standInControls(player, frame) {
    var words = {
      "controls.toolbar": "Player controls",
      "controls.play": "Play (K)",
      "controls.pause": "Pause (K)",
      "controls.mute": "Mute (M)",
      "controls.unmute": "Unmute (M)",
      "controls.fullscreen": "Full screen (F)",
      "controls.exit_fullscreen": "Exit full screen (F)",
    };
    var svg = function (paths) { return '<svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true">' + paths + "</svg>"; };
    var ICONS = {
      play: svg('<path d="M7 4l13 8-13 8z" fill="currentColor"></path>'),
      pause: svg('<path d="M6 4h4v16H6zM14 4h4v16h-4z" fill="currentColor"></path>'),
      sound: svg('<path d="M3 9v6h4l5 5V4L7 9H3z" fill="currentColor"></path><path d="M16 8a5 5 0 010 8M19 5a9 9 0 010 14" stroke="currentColor" stroke-width="2" fill="none" stroke-linecap="round"></path>'),
      muted: svg('<path d="M3 9v6h4l5 5V4L7 9H3z" fill="currentColor"></path><path d="M16 9l6 6M22 9l-6 6" stroke="currentColor" stroke-width="2" stroke-linecap="round"></path>'),
      fullscreen: svg('<path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" stroke="currentColor" stroke-width="2" fill="none"></path>'),
    };
    var bar = document.createElement("div");
    bar.id = "ivs-boot-controls";
    bar.className = "controls";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("data-testid", "boot-controls");
    var button = function (name, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "ctl";
      b.setAttribute("data-testid", "boot-" + name);
      b.addEventListener("click", action);
      bar.appendChild(b);
      return b;
    };
    var playing = function () { return player.getState() === IVSPlayer.PlayerState.PLAYING && !player.isPaused(); };
    var togglePlay = function () { if (playing()) player.pause(); else player.play(); };
    var toggleMute = function () { player.setMuted(!player.isMuted()); update(); };
    var toggleFullscreen = function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else if (frame.parentNode && frame.parentNode.requestFullscreen) frame.parentNode.requestFullscreen().catch(function () {});
    };
    var play = button("play", togglePlay);
    var mute = button("mute", toggleMute);
    var spacer = document.createElement("span");
    spacer.className = "ctl-spacer";
    bar.appendChild(spacer);
    var full = button("fullscreen", toggleFullscreen);
    full.innerHTML = ICONS.fullscreen;
    function update() {
      var on = playing();
      play.innerHTML = on ? ICONS.pause : ICONS.play;
      play.setAttribute("aria-label", words[on ? "controls.pause" : "controls.play"]);
      var muted = player.isMuted();
      mute.innerHTML = muted ? ICONS.muted : ICONS.sound;
      mute.setAttribute("aria-label", words[muted ? "controls.unmute" : "controls.mute"]);
      full.setAttribute("aria-label", words[document.fullscreenElement ? "controls.exit_fullscreen" : "controls.fullscreen"]);
      bar.setAttribute("aria-label", words["controls.toolbar"]);
    }
    var keys = function (event) {
      var target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      var key = event.key.toLowerCase();
      var act = key === "k" || key === " " ? togglePlay : key === "m" ? toggleMute : key === "f" ? toggleFullscreen : null;
      if (!act) return;
      // Space on a focused button clicks it already.
      if (key === " " && target && target.tagName === "BUTTON") return;
      event.preventDefault();
      act();
    };
    var types = IVSPlayer.PlayerEventType;
    var events = Object.keys(IVSPlayer.PlayerState).map(function (k) { return IVSPlayer.PlayerState[k]; }).concat([types.MUTED_CHANGED]);
    events.forEach(function (name) { player.addEventListener(name, update); });
    window.addEventListener("keydown", keys);
    document.addEventListener("fullscreenchange", update);
    update();
    frame.appendChild(bar);
    // The locale's words, once its file is in (the same file the app reads).
    window.__ivsWords.text.then(function (text) {
      var table = null;
      try { table = text && JSON.parse(text); } catch (e) { table = null; }
      if (!table || !bar.isConnected) return;
      Object.keys(words).forEach(function (key) { if (typeof table[key] === "string") words[key] = table[key]; });
      update();
    });
    return {
      bar: bar,
      release: function () {
        events.forEach(function (name) { player.removeEventListener(name, update); });
        window.removeEventListener("keydown", keys);
        document.removeEventListener("fullscreenchange", update);
        bar.remove();
      },
    };
  }

  // This script runs in the head, before the stylesheet (which would hold it back until it has
  // arrived): what needs the body waits for it.
  function whenBody(f) {
    if (document.body) f();
    else document.addEventListener("DOMContentLoaded", f, { once: true });
  }

  function element(tag, className, child) {
    var node = document.createElement(tag);
    node.className = className;
    node.appendChild(child);
    return node;
  }
})();
