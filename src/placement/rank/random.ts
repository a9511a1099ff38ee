// random: pick uniformly among the candidates still tied on every tier before it, with ONE draw
// of the injected RNG per task (seeded in tests, so runs repeat). Tiers after a random tier can
// no longer decide anything and are not evaluated.

export function pickRandom<T>(tied: readonly T[], rng: { random(): number }): T {
  const i = Math.min(tied.length - 1, Math.floor(rng.random() * tied.length));
  return tied[i];
}
