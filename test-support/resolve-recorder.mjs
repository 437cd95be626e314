// `node --import <this file>`: appends each package a module of the process imports by name to the
// file KYCVS_TEST_RESOLVED_LOG names, one per line. Plain JavaScript: the service under test runs
// without a TypeScript loader. The resolve hook runs on the loader's own thread, hence a file.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    import fs from 'node:fs';
    const log = process.env.KYCVS_TEST_RESOLVED_LOG;
    export async function resolve(specifier, context, next) {
      if (log && /^[@a-z]/.test(specifier) && !specifier.startsWith('node:')) fs.appendFileSync(log, specifier + '\\n');
      return next(specifier, context);
    }
  `)}`,
);
