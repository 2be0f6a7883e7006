import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_BUNDLING } from '../../lib/file-service';
import { previewArchitecture, previewBundling } from '../../lib/preview-bundling';
import { makePdf } from '../support/pdf';

const run = promisify(execFile);
const probeEntry = fileURLToPath(new URL('./fixtures/preview-probe.ts', import.meta.url));
const hostCpu = process.arch === 'arm64' ? 'arm64' : 'x64';

/** Temporary directories (each bundle is ~31 MB), removed after the file. */
const temporary: string[] = [];
function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** The options lib/file-service.ts bundles every handler with (ESM, minified, `require` banner). */
const handlerBundling: BundlingOptions = HANDLER_BUNDLING;

/** Synthesises one preview-like function from `entry` into a fresh directory; answers the stack and that directory. */
function synthProbe(bundling: BundlingOptions, entry = probeEntry): { stack: Stack; outdir: string } {
  const outdir = temporaryDir('preview-synth-');
  const app = new App({ outdir });
  const stack = new Stack(app, 'PreviewProbe');
  new NodejsFunction(stack, 'Probe', {
    entry,
    handler: 'handler',
    runtime: Runtime.NODEJS_22_X,
    architecture: previewArchitecture(),
    bundling,
  });
  app.synth();
  return { stack, outdir };
}

function assetDir(outdir: string): string {
  const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.') && existsSync(join(outdir, name, 'index.mjs')));
  expect(assets).toHaveLength(1);
  return join(outdir, assets[0] as string);
}

describe('the bundled preview function', () => {
  let stack: Stack;
  let asset: string;

  // One synthesis: esbuild and the copy of ~30 MB of packages are the slow part.
  beforeAll(() => {
    const synthesised = synthProbe(previewBundling(handlerBundling));
    stack = synthesised.stack;
    asset = assetDir(synthesised.outdir);
  });

  it("holds sharp, the host's sharp and libvips binaries for Linux, and MuPDF's WebAssembly", () => {
    // Assess
    expect(existsSync(join(asset, 'node_modules/sharp/package.json'))).toBe(true);
    expect(existsSync(join(asset, `node_modules/@img/sharp-linux-${hostCpu}/lib/sharp-linux-${hostCpu}-0.35.5.node`))).toBe(true);
    expect(readdirSync(join(asset, `node_modules/@img/sharp-libvips-linux-${hostCpu}/lib`)).some((file) => file.startsWith('libvips-cpp.so'))).toBe(true);
    expect(existsSync(join(asset, 'node_modules/mupdf/dist/mupdf-wasm.wasm'))).toBe(true);
  });

  it("holds what sharp depends on, and neither MuPDF's brotli copies nor anything the handler does not use", () => {
    // Assess
    const packages = readdirSync(join(asset, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(asset, 'node_modules', name)).map((scoped) => `${name}/${scoped}`) : [name],
    );
    expect(packages.sort()).toEqual(
      ['@img/colour', `@img/sharp-libvips-linux-${hostCpu}`, `@img/sharp-linux-${hostCpu}`, 'detect-libc', 'mupdf', 'semver', 'sharp'].sort(),
    );
    expect(readdirSync(join(asset, 'node_modules/mupdf/dist')).filter((file) => file.endsWith('.br'))).toEqual([]);
  });

  it("runs on the machine's architecture, the only one whose sharp binary is installed", () => {
    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Architectures: [hostCpu === 'arm64' ? 'arm64' : 'x86_64'],
    });
  });

  it('renders a PDF page and resizes it with sharp when imported from a copy far from the project', async () => {
    // Prepare: outside the project, so Node cannot find its node_modules by climbing up.
    const outside = temporaryDir('preview-asset-');
    const copy = join(outside, 'task');
    cpSync(asset, copy, { recursive: true });
    const climbed: string[] = [];
    for (let dir = outside; climbed.at(-1) !== dir; dir = dirname(dir)) climbed.push(dir);
    expect(climbed.filter((dir) => existsSync(join(dir, 'node_modules')))).toEqual([]);
    const pdf = join(outside, 'event.pdf');
    writeFileSync(pdf, await makePdf({ pages: 20, width: 612, height: 792 }));
    const script = `const { readFileSync } = await import('node:fs');
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(copy, 'index.mjs')).href)});
      process.stdout.write(JSON.stringify(await handler({ pdf: readFileSync(process.argv[1]).toString('base64') })));`;

    // Act
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, pdf], {
      cwd: copy,
      env: { PATH: process.env.PATH ?? '' },
    });

    // Assess
    expect(JSON.parse(stdout)).toEqual({
      mupdf: 'function',
      page: { width: 232, height: 300 },
      jpeg: { format: 'jpeg', width: 100, height: 129 },
    });
  });
});

describe('previewBundling', () => {
  const realArch = Object.getOwnPropertyDescriptor(process, 'arch') as PropertyDescriptor;

  afterEach(() => {
    Object.defineProperty(process, 'arch', realArch);
  });

  it.each([
    ['arm64', Architecture.ARM_64],
    ['x64', Architecture.X86_64],
  ])('gives the preview function the architecture of a %s machine', (arch, expected) => {
    // Prepare
    Object.defineProperty(process, 'arch', { value: arch, configurable: true });

    // Act
    const architecture = previewArchitecture();

    // Assess
    expect(architecture.name).toBe(expected.name);
  });

  it('keeps sharp and MuPDF out of the bundle, after the externals the base already had', () => {
    // Act
    const withSdk = previewBundling(handlerBundling);
    const withoutSdk = previewBundling({ ...handlerBundling, bundleAwsSDK: false });
    const withOwn = previewBundling({ ...handlerBundling, externalModules: ['pg-native'] });

    // Assess
    expect(withSdk.externalModules).toEqual(['sharp', 'mupdf']);
    expect(withoutSdk.externalModules).toEqual(['@aws-sdk/*', 'sharp', 'mupdf']);
    expect(withOwn.externalModules).toEqual(['pg-native', 'sharp', 'mupdf']);
  });

  it('refuses a base that would npm install node modules in the asset directory', () => {
    // Act
    const build = () => previewBundling({ ...handlerBundling, nodeModules: ['sharp'] });

    // Assess
    expect(build).toThrow(/nodeModules would run npm install/);
  });

  it('fails synthesis, naming the installed binaries and the fix, when sharp was installed for macOS', () => {
    // Prepare: a project whose npm ci ran on a Mac: sharp with only its darwin binaries.
    const projectRoot = temporaryDir('preview-darwin-');
    const install = (name: string, manifest: object) => {
      mkdirSync(join(projectRoot, 'node_modules', name), { recursive: true });
      writeFileSync(join(projectRoot, 'node_modules', name, 'package.json'), JSON.stringify({ name, ...manifest }));
    };
    install('sharp', { optionalDependencies: { '@img/sharp-darwin-arm64': '0.35.5', [`@img/sharp-linux-${hostCpu}`]: '0.35.5' } });
    install('@img/sharp-darwin-arm64', { os: ['darwin'], cpu: ['arm64'], optionalDependencies: { '@img/sharp-libvips-darwin-arm64': '1.3.4' } });
    install('@img/sharp-libvips-darwin-arm64', { os: ['darwin'], cpu: ['arm64'] });
    install('mupdf', {});
    const entry = join(dirname(probeEntry), 'handlers', 'get-file.ts');

    // Act
    const synth = () => synthProbe(previewBundling(handlerBundling, { projectRoot }), entry);

    // Assess
    expect(synth).toThrow(
      new RegExp(
        `lacks @img/sharp-linux-${hostCpu} and @img/sharp-libvips-linux-${hostCpu} \\(sharp's binaries installed: darwin-arm64\\).*` +
          `npm install --os=linux --cpu=${hostCpu} --libc=glibc sharp`,
      ),
    );
  });
});
