// --test NAME selection, as Faultbox does it: exact name or test_<name>, a glob, ~regex,
// and test_matrix_<scenario> selecting all of that scenario's cells.
import { globMatch } from "./events.js";

export function matchTestFilter(filter: string, name: string): boolean {
  if (filter.startsWith("~")) {
    const re = new RegExp(filter.slice(1));
    return re.test(name);
  }
  if (/[*?]/.test(filter)) return globMatch(filter, name) || globMatch(`test_${filter}`, name);
  if (name === filter || name === `test_${filter}`) return true;
  const base = filter.startsWith("test_") ? filter : `test_${filter}`;
  return base.startsWith("test_matrix_") && name.startsWith(base + "_");
}
