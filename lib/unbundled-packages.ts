/**
 * The packages the preview handlers import that esbuild leaves out of every bundle: sharp
 * loads a native library (libvips) and mupdf WebAssembly from their own directories. The
 * Lambda asset carries them whole beside its bundle (./preview-bundling.ts); the local and
 * benchmark bundles find them in the project's node_modules. This module imports nothing,
 * so `npm start` and the bench read the list without loading the CDK.
 */
export const unbundledPackages = ['sharp', 'mupdf'] as const;
