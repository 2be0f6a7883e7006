/**
 * How the preview Lambda is bundled: esbuild bundles the handler, but sharp (a native addon
 * with libvips) and MuPDF (WebAssembly loaded from its own directory) cannot be bundled, so
 * they stay external and are copied, with everything they depend on, from the project's own
 * node_modules into the asset's node_modules. Nothing is installed and nothing is downloaded:
 * `npm ci` on the synthesising machine is all bundling needs (CDK's `nodeModules` option
 * would run `npm install` in the asset directory, which needs the network).
 *
 * sharp's native code comes from the `@img/sharp-<os>-<cpu>` and `@img/sharp-libvips-<os>-<cpu>`
 * packages npm installed for the machine running `npm ci`. Lambda runs Amazon Linux 2023
 * (glibc), so the function must run on the machine's CPU architecture (`previewArchitecture`),
 * and bundling fails, rather than deploy a function that cannot load sharp, when the installed
 * binaries are not for Linux with glibc on that architecture (a synth on macOS, or on Alpine).
 * sharp documents the way out: `npm install --os=linux --cpu=x64 --libc=glibc sharp`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetStaging } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions, ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { unbundledPackages } from './unbundled-packages';

/** The packages the preview handler imports that esbuild leaves out of the bundle. */
export const previewExternalPackages = unbundledPackages;

/** The only architecture whose sharp binary `npm ci` installed here: the machine's own. */
export function previewArchitecture(): Architecture {
  return process.arch === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64;
}

export interface PreviewBundlingOptions {
  /** The function's architecture. @default previewArchitecture() */
  readonly architecture?: Architecture;
  /** Where the packages are looked up (Node's resolution, upwards). @default this project */
  readonly projectRoot?: string;
}

/**
 * `base` (the handlers' shared bundling options) with sharp and MuPDF external and copied into
 * the asset by an afterBundling hook; hooks `base` already has run first.
 */
export function previewBundling(base: BundlingOptions, options: PreviewBundlingOptions = {}): BundlingOptions {
  if (base.nodeModules?.length) {
    throw new Error('previewBundling: base.nodeModules would run npm install in the asset directory; leave it unset');
  }
  const architecture = options.architecture ?? previewArchitecture();
  const projectRoot = resolve(options.projectRoot ?? defaultProjectRoot());
  const baseHooks = base.commandHooks;
  const commandHooks: ICommandHooks = {
    beforeBundling: (inputDir, outputDir) => baseHooks?.beforeBundling(inputDir, outputDir) ?? [],
    beforeInstall: (inputDir, outputDir) => baseHooks?.beforeInstall(inputDir, outputDir) ?? [],
    afterBundling: (inputDir, outputDir) => [
      ...(baseHooks?.afterBundling(inputDir, outputDir) ?? []),
      ...copyCommands(inputDir, outputDir, projectRoot, architecture),
    ],
  };
  // Without bundleAwsSDK, CDK's default for Node 18+ is to leave the runtime's SDK v3 out.
  const externals = base.externalModules ?? (base.bundleAwsSDK ? [] : ['@aws-sdk/*']);
  return { ...base, externalModules: [...externals, ...previewExternalPackages], commandHooks };
}

/** A package on disk: its name and the directory holding its package.json. */
interface InstalledPackage {
  name: string;
  dir: string;
}

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

/**
 * `roots` and everything they depend on (dependencies and optionalDependencies, recursively),
 * each resolved as Node would from its dependent's directory. Optional packages absent from
 * disk are skipped, as are packages for another platform than Lambda's (`os`, `cpu` and `libc`
 * in their package.json), so a tree with several sharp binaries ships only the one that runs.
 */
function dependencyClosure(roots: readonly string[], projectRoot: string, architecture: Architecture): InstalledPackage[] {
  const found = new Map<string, InstalledPackage>();
  const visit = (name: string, fromDir: string, optional: boolean) => {
    const dir = findPackage(name, fromDir);
    if (!dir) {
      if (optional) return;
      throw new Error(`previewBundling: ${name} is not installed in ${projectRoot} (run npm ci)`);
    }
    if (found.has(dir)) return;
    const manifest = readManifest(dir);
    if (!runsOnLambda(manifest, architecture)) return;
    found.set(dir, { name, dir });
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir, false);
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) visit(dependency, dir, true);
  };
  for (const root of roots) visit(root, projectRoot, false);
  return [...found.values()];
}

/**
 * Fails, naming what is installed and how to fix it, unless sharp's binary and libvips for
 * Linux (glibc) on the function's architecture are both installed.
 */
function checkSharpBinaries(packages: readonly InstalledPackage[], projectRoot: string, architecture: Architecture): void {
  const cpu = lambdaCpu(architecture);
  const wanted = [`@img/sharp-linux-${cpu}`, `@img/sharp-libvips-linux-${cpu}`];
  const missing = wanted.filter((name) => !packages.some((installed) => installed.name === name));
  if (missing.length === 0) return;
  const installed = installedSharpPlatforms(projectRoot);
  throw new Error(
    `previewBundling: the preview function runs on Lambda's Amazon Linux (glibc, ${cpu}), but node_modules lacks ` +
      `${missing.join(' and ')} (sharp's binaries installed: ${installed.length ? installed.join(', ') : 'none'}). ` +
      `Synthesise on Linux (glibc) ${cpu}, or add Lambda's binaries: npm install --os=linux --cpu=${cpu} --libc=glibc sharp ` +
      '(https://sharp.pixelplumbing.com/install#cross-platform).',
  );
}

function copyCommands(inputDir: string, outputDir: string, projectRoot: string, architecture: Architecture): string[] {
  // CDK also builds the Docker variant of the command when the function is defined, with
  // container paths; this project bundles locally (esbuild is a devDependency), and the
  // host's node_modules are what would be copied, so a Docker bundling fails, saying why.
  if (inputDir === AssetStaging.BUNDLING_INPUT_DIR) {
    return [`echo "The preview function is bundled locally: install esbuild (npm ci) and do not force Docker bundling" >&2 && exit 1`];
  }
  const packages = dependencyClosure(previewExternalPackages, projectRoot, architecture);
  checkSharpBinaries(packages, projectRoot, architecture);
  const target = join(outputDir, 'node_modules');
  const commands: string[] = [];
  // A package nested in another's node_modules comes along with it.
  const topLevel = packages.filter((one) => !packages.some((other) => one.dir.startsWith(other.dir + sep)));
  for (const { name, dir } of topLevel) {
    const twin = topLevel.find((other) => other.name === name && other.dir !== dir);
    if (twin) throw new Error(`previewBundling: two copies of ${name} (${dir} and ${twin.dir}) would share node_modules/${name}`);
    const destination = join(target, name);
    commands.push(`mkdir -p ${quote(dirname(destination))}`, `cp -R ${quote(dir)} ${quote(destination)}`);
  }
  // MuPDF ships brotli copies of its files for web servers (3.5 MB); Node reads the plain ones.
  commands.push(`rm -f ${quote(join(target, 'mupdf', 'dist'))}/*.br`);
  return commands;
}

/** Node's lookup: `<dir>/node_modules/<name>` from `fromDir` upwards. */
function findPackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** npm's test of a package's platform fields (`os`, `cpu`, `libc`), for Lambda's Linux with glibc. */
function runsOnLambda(manifest: Manifest, architecture: Architecture): boolean {
  const allows = (list: string[] | undefined, value: string) => {
    if (!list?.length) return true;
    if (list.includes(`!${value}`)) return false;
    const required = list.filter((entry) => !entry.startsWith('!'));
    return required.length === 0 || required.includes(value);
  };
  return allows(manifest.os, 'linux') && allows(manifest.cpu, lambdaCpu(architecture)) && allows(manifest.libc, 'glibc');
}

/** The platforms (`linux-x64`, `darwin-arm64`, ...) whose sharp binary is on disk. */
function installedSharpPlatforms(projectRoot: string): string[] {
  const sharp = findPackage('sharp', projectRoot);
  if (!sharp) return [];
  return Object.keys(readManifest(sharp).optionalDependencies ?? {})
    .filter((name) => name.startsWith('@img/sharp-') && !name.startsWith('@img/sharp-libvips-'))
    .filter((name) => findPackage(name, projectRoot) !== undefined)
    .map((name) => name.slice('@img/sharp-'.length));
}

function lambdaCpu(architecture: Architecture): 'arm64' | 'x64' {
  return architecture.name === Architecture.ARM_64.name ? 'arm64' : 'x64';
}

function quote(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

function defaultProjectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}
