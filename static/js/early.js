/* Runs before the first paint (loaded without defer, in <head>): controls that need JavaScript are shown
   from the start, so nothing moves when the deferred scripts arrive. */
document.documentElement.classList.replace("no-js", "js");
