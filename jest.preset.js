// Shared Jest settings: SWC compiles TypeScript (with decorator metadata) and the ESM-only
// NestJS packages to CommonJS; @werkbank/* imports resolve to the libraries' sources.
const path = require('node:path');

const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const root = __dirname;
module.exports = {
  rootDir: root,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|@electric-sql|file-type|strtok3|token-types|peek-readable|uint8array-extras|@tokenizer|@borewit|load-esm|@fastify|fastify|content-disposition|cookie|set-cookie-parser|toad-cache|nodemailer)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^@werkbank/([a-z0-9-]+)$': path.join(root, 'core/$1/src/index.ts'),
  },
};
