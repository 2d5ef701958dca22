// The protocol client the tests drive runners with; it ships in the package
// (lib/client) because the demo's shell runner and the chaos run use it too.
export * from '../../lib/client/runner-client.js';
