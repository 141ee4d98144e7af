// Types of generator.js (plain CommonJS, so Nx runs it without a TypeScript loader).
import type { GeneratorCallback, Tree } from '@nx/devkit';

export interface ServicePluginSchema {
  /** the plugin id, kebab-case */
  name: string;
  displayName?: string;
}

export interface ServicePluginNames {
  name: string;
  className: string;
  constantName: string;
  displayName: string;
  packageName: string;
  projectName: string;
  directory: string;
}

export declare function servicePluginGenerator(tree: Tree, schema: ServicePluginSchema): Promise<GeneratorCallback>;
export default servicePluginGenerator;
export declare function normalizeOptions(tree: Tree, schema: ServicePluginSchema): ServicePluginNames;
export declare const PLUGIN_ID_PATTERN: RegExp;
export declare const RESERVED_IDS: readonly string[];
