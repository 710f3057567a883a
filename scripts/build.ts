// Placeholder until the runtime bundle lands (issue 3): keeps `npm ci`'s prepare step green.
console.log('build: nothing to bundle yet');
