package spec

import "strings"

// closestKey returns the known key the user most plausibly meant, or "" when
// none is close enough for a suggestion to help rather than confuse.
func closestKey(unknown string, known []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	}
	// Case and separator slips (healthCheck, health-check) are the commonest
	// mistakes, so they win over any edit-distance match.
	for _, k := range known {
		if norm(k) == norm(unknown) {
			return k
		}
	}
	best, bestDist := "", 0
	for _, k := range known {
		d := editDistance(strings.ToLower(unknown), k)
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	limit := 1
	if len(unknown) >= 5 {
		limit = 2
	}
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance: Levenshtein plus
// adjacent transpositions, since "imgae" is one slip, not two.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := make([][]int, len(ra)+1)
	for i := range rows {
		rows[i] = make([]int, len(rb)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			rows[i][j] = min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				rows[i][j] = min(rows[i][j], rows[i-2][j-2]+1)
			}
		}
	}
	return rows[len(ra)][len(rb)]
}
