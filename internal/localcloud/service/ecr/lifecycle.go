package ecr

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// applyLifecycle expires the repository's images its lifecycle policy
// selects, as ECR's lifecycle evaluation does, at each push and when the
// policy is put (ECR acts within a day; here the effect is at once).
// Rules run in rulePriority order and each image is judged by the first
// rule whose tag selection it matches only: a lower-priority rule never
// expires it. imageCountMoreThan N keeps a rule's N most recently pushed
// images; sinceImagePushed N days expires those pushed longer ago. It
// returns the images expired.
func applyLifecycle(tx *store.Tx, repo *Repository, now time.Time) ([]*Image, error) {
	if repo.Lifecycle == "" {
		return nil, nil
	}
	var doc struct {
		Rules []LifecycleRule `json:"rules"`
	}
	if err := json.Unmarshal([]byte(repo.Lifecycle), &doc); err != nil {
		return nil, nil // checked when it was put; nothing to apply
	}
	rules := slices.Clone(doc.Rules)
	slices.SortFunc(rules, func(a, b LifecycleRule) int { return *a.RulePriority - *b.RulePriority })
	images, err := repoImages(tx, repo.RepositoryName)
	if err != nil {
		return nil, err
	}
	judged := map[string]bool{}
	var expired []*Image
	for _, rule := range rules {
		var selected []*Image
		for _, img := range images {
			if !judged[img.Digest] && selects(rule, img) {
				judged[img.Digest] = true
				selected = append(selected, img)
			}
		}
		// Newest first: the images a count keeps.
		slices.SortStableFunc(selected, func(a, b *Image) int { return b.PushedAt.Time().Compare(a.PushedAt.Time()) })
		count := *rule.Selection.CountNumber
		for i, img := range selected {
			switch rule.Selection.CountType {
			case "imageCountMoreThan":
				if i >= count {
					expired = append(expired, img)
				}
			case "sinceImagePushed":
				if now.Sub(img.PushedAt.Time()) > time.Duration(count)*24*time.Hour {
					expired = append(expired, img)
				}
			}
		}
	}
	for _, img := range expired {
		if err := tx.Delete(tableImages, imageKey(img)); err != nil {
			return nil, err
		}
	}
	return expired, nil
}

// selects reports whether a rule's tag selection matches an image: any
// image, untagged ones, or tagged ones with, for every prefix (or
// pattern, * matching any run of characters) of the rule, a tag that has
// it.
func selects(rule LifecycleRule, img *Image) bool {
	s := rule.Selection
	switch s.TagStatus {
	case "any":
		return true
	case "untagged":
		return len(img.Tags) == 0
	case "tagged":
		if len(img.Tags) == 0 {
			return false
		}
		for _, prefix := range s.TagPrefixList {
			if !slices.ContainsFunc(img.Tags, func(tag string) bool { return strings.HasPrefix(tag, prefix) }) {
				return false
			}
		}
		for _, pattern := range s.TagPatternList {
			// A tag has no '/', so path.Match's * spans the whole tag.
			if !slices.ContainsFunc(img.Tags, func(tag string) bool { ok, _ := path.Match(pattern, tag); return ok }) {
				return false
			}
		}
		return true
	}
	return false
}
