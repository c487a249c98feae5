// `faultbox check`: not built yet; see the open issues.
export async function run(_args: string[]): Promise<number> {
  process.stderr.write("faultbox check: not implemented yet in this build\n");
  return 1;
}
