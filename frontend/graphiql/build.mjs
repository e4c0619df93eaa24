// Bundles GraphiQL (main.jsx) and the Monaco editor's web workers into ../build/graphiql/ with content-hashed
// names, plus manifest.json naming the files for the page the server renders (core/graphiql.py).
// Run by `make run` / `make test` (npm run build:graphiql); nothing is fetched at build or run time.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'build', 'graphiql');
const staging = `${out}.tmp-${process.pid}`;

const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  outdir: staging,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  legalComments: 'linked',
  metafile: true,
  absWorkingDir: here,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

function outputsByEntry(result) {
  const files = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (output.entryPoint) {
      files[output.entryPoint] = basename(file);
    }
  }
  return files;
}

await rm(staging, { recursive: true, force: true });
await mkdir(staging, { recursive: true });

// The workers graphiql's own setup-workers modules start (monaco-editor and monaco-graphql come with graphiql).
const workerEntries = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
};
const workers = await esbuild.build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(workerEntries).map(([label, entry]) => [`${label}.worker`, entry])),
});
const workerFiles = {};
for (const [file, output] of Object.entries(workers.metafile.outputs)) {
  const name = basename(file);
  const label = Object.keys(workerEntries).find((key) => name.startsWith(`${key}.worker-`) && name.endsWith('.js'));
  if (label && output.entryPoint) {
    workerFiles[label] = name;
  }
}
if (Object.keys(workerFiles).length !== Object.keys(workerEntries).length) {
  throw new Error(`expected one file per worker, got ${JSON.stringify(workerFiles)}`);
}

const app = await esbuild.build({
  ...common,
  entryPoints: { graphiql: 'main.jsx' },
  jsx: 'automatic',
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
  define: { ...common.define, PEJLING_WORKERS: JSON.stringify(workerFiles) },
});
const script = outputsByEntry(app)['main.jsx'];
const style = Object.keys(app.metafile.outputs).map((file) => basename(file)).find((name) => name.endsWith('.css'));
if (!script || !style) {
  throw new Error('the GraphiQL build made no script or no stylesheet');
}

await writeFile(join(staging, 'manifest.json'), `${JSON.stringify({ script, style, workers: workerFiles }, null, 2)}\n`);
await rm(out, { recursive: true, force: true });
await rename(staging, out);
console.log(`GraphiQL built into ${out}`);
