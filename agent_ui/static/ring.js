// The ring of an offered call, made in the browser (no sound file): a phone's
// two-tone burst every three seconds while the banner says the call rings.
// Browsers keep a page silent until it is clicked once; `blocked` tells so.
"use strict";

const ring = (() => {
  let context = null;
  let timer = null;

  function audio() {
    if (context === null) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      context = new Context();
    }
    return context;
  }

  function burst() {
    const ctx = audio();
    if (ctx === null || ctx.state !== "running") return;
    const gain = ctx.createGain();
    gain.gain.value = 0.12;
    gain.connect(ctx.destination);
    for (const frequency of [440, 480]) {
      const tone = ctx.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start(ctx.currentTime);
      tone.stop(ctx.currentTime + 1.2);
    }
  }

  function start() {
    if (timer !== null) return;
    burst();
    timer = setInterval(burst, 3000);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
  }

  function blocked() {
    const ctx = audio();
    return ctx !== null && ctx.state !== "running";
  }

  async function unblock() {
    const ctx = audio();
    if (ctx !== null && ctx.state !== "running") await ctx.resume();
  }

  return { start, stop, blocked, unblock, ringing: () => timer !== null };
})();
