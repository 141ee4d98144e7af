// @ts-check
// `npx nx g @werkbank/devkit:service-plugin <name>`: scaffolds plugins/<name>, a service plugin
// whose contract test passes as generated. Plain CommonJS so Nx runs it without a TS loader.
const path = require('node:path');
const { generateFiles, getProjects, logger, names, updateJson } = require('@nx/devkit');

/** Same as PLUGIN_ID_PATTERN of @werkbank/plugin-sdk (generator.spec.ts keeps them equal). */
const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const DISPLAY_NAME_PATTERN = /^[\p{L}\p{N} .,&()+-]+$/u;

/** Ids whose package `@werkbank/plugin-<id>` is a core library, not a plugin. */
const RESERVED_IDS = ['sdk', 'testkit', 'host'];

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string; displayName?: string }} schema
 */
function normalizeOptions(tree, schema) {
  const id = String(schema.name ?? '').trim();
  if (!PLUGIN_ID_PATTERN.test(id)) {
    throw new Error(`Plugin id "${id}" is not kebab-case: lowercase letters and digits in dash-separated words, starting with a letter (e.g. web-search).`);
  }
  const packageName = `@werkbank/plugin-${id}`;
  const projectName = `plugin-${id}`;
  if (RESERVED_IDS.includes(id)) {
    throw new Error(`Plugin id "${id}" is reserved: ${packageName} is a core library.`);
  }
  const directory = `plugins/${id}`;
  if (tree.exists(directory)) {
    throw new Error(`${directory} already exists.`);
  }
  for (const [name, project] of getProjects(tree)) {
    if (name === projectName) throw new Error(`A project named "${projectName}" already exists (${project.root}).`);
  }
  const n = names(id);
  const displayName = schema.displayName?.trim() || id.split('-').map((word) => word[0].toUpperCase() + word.slice(1)).join(' ');
  // it goes into string literals and JSON as is
  if (!DISPLAY_NAME_PATTERN.test(displayName)) {
    throw new Error(`Display name "${displayName}" may hold letters, digits, spaces and . , & ( ) + - only.`);
  }
  return {
    /** the plugin id, also the file name prefix: 'web-search' */
    name: id,
    /** 'WebSearch' */
    className: n.className,
    /** 'WEB_SEARCH' (environment variables) */
    constantName: n.constantName,
    displayName,
    packageName,
    projectName,
    directory,
  };
}

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string; displayName?: string }} schema
 */
async function servicePluginGenerator(tree, schema) {
  const options = normalizeOptions(tree, schema);
  generateFiles(tree, path.join(__dirname, 'files'), options.directory, options);
  // `npm start`, `npm test` and the image build every project listed in tsconfig.build.json
  if (tree.exists('tsconfig.build.json')) {
    updateJson(tree, 'tsconfig.build.json', (json) => {
      json.references = json.references ?? [];
      if (!json.references.some((r) => r.path === options.directory)) json.references.push({ path: options.directory });
      return json;
    });
  }
  return () => {
    logger.info(
      [
        '',
        `Created ${options.directory} (${options.packageName}). Next:`,
        `  npx jest ${options.directory} --selectProjects unit    # the contract test passes as generated`,
        '  npm install                                             # links the package into node_modules',
        `  then follow ${options.directory}/README.md and docs/plugins/authoring.md`,
      ].join('\n'),
    );
  };
}

module.exports = servicePluginGenerator;
module.exports.default = servicePluginGenerator;
module.exports.servicePluginGenerator = servicePluginGenerator;
module.exports.normalizeOptions = normalizeOptions;
module.exports.PLUGIN_ID_PATTERN = PLUGIN_ID_PATTERN;
module.exports.RESERVED_IDS = RESERVED_IDS;
