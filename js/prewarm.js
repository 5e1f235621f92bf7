// Start-up, before the app's own wasm is ready (loaded at the end of <body>): create the IVS player the moment the SDK has
// loaded and, when the page carries its configuration inline and the address overrides nothing,
// start loading the stream too. The viewer adopts this player, its <video> and the events seen
// so far (see src/bindings/ivs.rs); without this script it simply does all of it itself.
(function () {
  "use strict";
  if (!window.IVSPlayer || !IVSPlayer.isPlayerSupported) return;
  var base = new URL("ivs/", document.baseURI).href;
  var player;
  try {
    performance.mark("ivs:create");
    player = IVSPlayer.create({
      wasmWorker: base + "amazon-ivs-wasmworker.min.js",
      wasmBinary: base + "amazon-ivs-wasmworker.min.wasm",
    });
  } catch (e) {
    return; // the viewer tries again and says what went wrong
  }
  var video = document.createElement("video");
  video.setAttribute("playsinline", "");
  video.className = "video";
  player.attachHTMLVideoElement(video);
  // A video shows frames only in the document: until the app mounts its own stage, the video
  // sits in a stand-in with the same layout, which the app removes once it has moved the video.
  var stand_in = document.body.appendChild(element("main", "app", element("section", "viewer", element("div", "stage", video))));
  stand_in.id = "ivs-boot";

  var kept = [];
  var types = IVSPlayer.PlayerEventType;
  var names = Object.keys(IVSPlayer.PlayerState).map(function (k) { return IVSPlayer.PlayerState[k]; }).concat([
    types.ERROR, types.TEXT_METADATA_CUE, types.AUDIO_BLOCKED, types.PLAYBACK_BLOCKED, types.MUTED_CHANGED,
  ]);
  var listeners = names.map(function (name) {
    var keep = function (payload) { kept.push([name, payload]); };
    player.addEventListener(name, keep);
    return [name, keep];
  });

  var url = null;
  var inline = document.getElementById("ivs-viewer-config");
  var query = new URLSearchParams(location.search);
  var overridden = ["playbackUrl", "autoplay", "muted"].some(function (name) { return query.has(name); });
  if (inline && !overridden) {
    try {
      var config = JSON.parse(inline.textContent);
      // Only the plain case; anything else is left to the viewer, which checks it fully.
      if (typeof config.playbackUrl === "string" && /^https?:\/\/[^\s]+$/i.test(config.playbackUrl) && config.autoplay !== false) {
        player.setAutoplay(true);
        player.setMuted(config.muted === true);
        url = config.playbackUrl;
        performance.mark("ivs:load");
        player.load(url);
      }
    } catch (e) {
      url = null;
    }
  }

  function element(tag, className, child) {
    var node = document.createElement(tag);
    node.className = className;
    node.appendChild(child);
    return node;
  }

  window.__ivsViewerPrewarm = {
    player: player,
    video: video,
    url: url,
    handOver: function () {
      listeners.forEach(function (l) { player.removeEventListener(l[0], l[1]); });
      return kept.splice(0);
    },
  };
})();
