/** The applications a runtime was given, by name and version. */
import { InvalidArgumentError } from '@reprise/core';
import type { ApplicationDefinition } from './define-application.js';

export class ApplicationRegistry {
  readonly #byName = new Map<string, ApplicationDefinition[]>();

  constructor(applications: readonly ApplicationDefinition[]) {
    if (!Array.isArray(applications)) throw new InvalidArgumentError('withApplications takes an array of defineApplication(...) results');
    for (const app of applications) {
      if (!app || app.kind !== 'application') throw new InvalidArgumentError('withApplications takes an array of defineApplication(...) results');
      const versions = this.#byName.get(app.name) ?? [];
      if (versions.some((v) => v.version === app.version)) throw new InvalidArgumentError(`application '${app.name}' version ${app.version} is given twice`);
      versions.push(app);
      versions.sort((a, b) => b.version - a.version);
      this.#byName.set(app.name, versions);
    }
  }

  /** The highest version of the application, or undefined. */
  latest(name: string): ApplicationDefinition | undefined {
    return this.#byName.get(name)?.[0];
  }

  find(name: string, version: number): ApplicationDefinition | undefined {
    return this.#byName.get(name)?.find((a) => a.version === version);
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }
}
