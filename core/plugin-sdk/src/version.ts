/**
 * The SDK's own semantic version (also in core/plugin-sdk/package.json). Plugins declare the
 * range they work with in `manifest.sdkCompatibility`; the plugin host checks it at boot.
 * A breaking change to any exported type needs a new major version (see api/plugin-sdk.api.d.ts).
 */
export const SDK_VERSION = '1.2.0';
