// Creates the IVS player as soon as the SDK has loaded, before the app's own wasm is ready, so the
// SDK's worker boots in parallel with the app instead of after it. The viewer adopts this player
// (see src/bindings/ivs.rs); without this file it simply creates its own.
(function () {
  if (!window.IVSPlayer || !IVSPlayer.isPlayerSupported) return;
  var base = new URL("ivs/", document.baseURI).href;
  try {
    window.__ivsViewerPlayer = IVSPlayer.create({
      wasmWorker: base + "amazon-ivs-wasmworker.min.js",
      wasmBinary: base + "amazon-ivs-wasmworker.min.wasm",
    });
    performance.mark("ivs:create");
  } catch (e) {
    // The viewer tries again and reports the failure in words.
  }
})();
