// Runs after every `npm install` (projen's install task). The registry this project installs from
// does not carry every platform build of some packages (e.g. unrs-resolver's bindings for other
// operating systems). `npm install` skips those optional dependencies and writes a lock file that
// still names them, which `npm ci` then rejects as out of sync. Dropping the names that resolve to
// nothing in the lock file makes the lock file describe what was really installed.
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages ?? {};

/** Node's resolution: the nearest node_modules folder up from `from` that holds `name`. */
function resolves(from, name) {
  let dir = from;
  for (;;) {
    if (packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf('node_modules/');
    dir = cut <= 0 ? '' : dir.slice(0, cut - 1);
  }
}

let pruned = 0;
for (const [key, entry] of Object.entries(packages)) {
  const optional = entry.optionalDependencies;
  if (!optional) continue;
  for (const name of Object.keys(optional)) {
    if (!resolves(key, name)) {
      delete optional[name];
      pruned++;
    }
  }
}
if (pruned > 0) {
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`prune-lockfile: dropped ${pruned} optional dependencies the registry does not serve`);
}
