// What every node test driven by ctest shares: `--key value` arguments, and skipping with
// exit code 77 (ctest's SKIP_RETURN_CODE for these tests) and a reason.
export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

export function args() {
  const out = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) out[a[i].replace(/^--/, '')] = a[i + 1];
  return out;
}
