// The Cloud Storage emulator of firebase-tools, started on its own for the Workers tests (infra/services.sh gcs).
//
//   node infra/gcs-emulator.js <firebase-tools prefix> <port> <project id>
//
// `firebase emulators:start` wants a firebase.json, refuses Java 17 and downloads a Java rules runtime. The GCS JSON
// API (/storage/v1, /upload/storage/v1) never consults Firebase security rules, so the Storage emulator is started
// from its library with the rules runtime left out. That uses firebase-tools internals: the version is pinned in
// infra/services.sh (FIREBASE_TOOLS_VERSION). Blobs live under $TMPDIR/firebase/storage (services.sh sets TMPDIR
// to the run directory).
"use strict";
const path = require("path");

const [prefix, port, projectId] = process.argv.slice(2);
if (!prefix || !port || !projectId) {
  console.error("usage: node gcs-emulator.js <firebase-tools prefix> <port> <project id>");
  process.exit(2);
}

const lib = path.join(prefix, "node_modules", "firebase-tools", "lib", "emulator");
const { StorageEmulator } = require(path.join(lib, "storage", "index.js"));
const { EmulatorRegistry } = require(path.join(lib, "registry.js"));

(async () => {
  const emulator = new StorageEmulator({ projectId, host: "127.0.0.1", port: Number(port), rules: [], auto_download: false });
  // No rules runtime (a Java jar it would download): only the Firebase API paths evaluate rules.
  emulator._rulesRuntime.start = async () => {};
  emulator._rulesRuntime.stop = async () => {};
  // Registering it is what lets the emulator build its own object URLs.
  await EmulatorRegistry.start(emulator);
  console.log(`gcs emulator: listening on 127.0.0.1:${port}`);
  const stop = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
