package ssm

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ssm/wire"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// matchesFilters applies ParameterStringFilters to a parameter's current
// version.
func matchesFilters(p *Parameter, filters []stringFilter) (bool, error) {
	current := p.Current()
	for _, f := range filters {
		option := f.Option
		var ok bool
		switch {
		case f.Key == "Name":
			if option == "" {
				option = "Equals"
			}
			if option != "Equals" && option != "BeginsWith" && option != "Contains" {
				return false, errInvalidFilterOption(f)
			}
			ok = slices.ContainsFunc(f.Values, func(v string) bool {
				// AWS matches names with or without the leading slash.
				name, value := strings.TrimPrefix(p.Name, "/"), strings.TrimPrefix(v, "/")
				switch option {
				case "BeginsWith":
					return strings.HasPrefix(name, value)
				case "Contains":
					return strings.Contains(name, value)
				}
				return name == value
			})
		case f.Key == "Path":
			if option == "" {
				option = "OneLevel"
			}
			if option != "OneLevel" && option != "Recursive" {
				return false, errInvalidFilterOption(f)
			}
			ok = slices.ContainsFunc(f.Values, func(path string) bool { return underPath(p.Name, path, option == "Recursive") })
		case f.Key == "Type", f.Key == "KeyId", f.Key == "Tier", f.Key == "DataType":
			if option != "" && option != "Equals" {
				return false, errInvalidFilterOption(f)
			}
			field := map[string]string{"Type": current.Type, "KeyId": current.KeyID, "Tier": current.Tier, "DataType": current.DataType}[f.Key]
			ok = slices.Contains(f.Values, field)
		case f.Key == "Label":
			ok = slices.ContainsFunc(p.Versions, func(v ParameterVersion) bool {
				return slices.ContainsFunc(v.Labels, func(l string) bool { return slices.Contains(f.Values, l) })
			})
		case f.Key == "tag-key":
			ok = slices.ContainsFunc(p.Tags, func(t Tag) bool { return slices.Contains(f.Values, t.Key) })
		case strings.HasPrefix(f.Key, "tag:"):
			key := strings.TrimPrefix(f.Key, "tag:")
			ok = slices.ContainsFunc(p.Tags, func(t Tag) bool {
				return t.Key == key && (len(f.Values) == 0 || slices.Contains(f.Values, t.Value))
			})
		default:
			return false, protocol.Errorf("InvalidFilterKey", "The following filter key is not valid: %s.", f.Key)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func errInvalidFilterOption(f stringFilter) error {
	return protocol.Errorf("InvalidFilterOption", "The following filter option is not valid: %s. Valid options for the %s filter key are listed in the API reference.", f.Option, f.Key)
}

// --- DescribeParameters ---

func (b *Backend) describeParameters(ctx context.Context, in *wire.DescribeParametersRequest) (*wire.DescribeParametersResult, error) {
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, errValidation("You can use either Filters or ParameterFilters in a single request.")
	}
	filters := in.ParameterFilters
	for _, f := range in.Filters {
		switch f.Key {
		case "Name":
			filters = append(filters, stringFilter{Key: "Name", Option: "BeginsWith", Values: f.Values})
		case "Type", "KeyId":
			filters = append(filters, stringFilter{Key: f.Key, Values: f.Values})
		default:
			return nil, errConstraint(f.Key, "filters.member.key", "Member must satisfy enum value set: [Type, KeyId, Name]")
		}
	}
	limit, err := maxResults(int32Ptr(in.MaxResults), 50)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeParametersResult{Parameters: []wire.ParameterMetadata{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		params, err := storedParameters(tx)
		if err != nil {
			return err
		}
		var matched []*Parameter
		for _, p := range params {
			ok, err := matchesFilters(p, filters)
			if err != nil {
				return err
			}
			if ok {
				matched = append(matched, p)
			}
		}
		page, next, err := paginate(matched, func(p *Parameter) string { return p.Name }, in.NextToken, limit)
		if err != nil {
			return err
		}
		for _, p := range page {
			v := p.Current()
			out.Parameters = append(out.Parameters, wire.ParameterMetadata{
				Name:             p.Name,
				ARN:              p.ARN(tx.Scope()),
				Type:             v.Type,
				KeyId:            v.KeyID,
				LastModifiedDate: stamp(awsjson.Time(v.LastModifiedDate)),
				LastModifiedUser: tx.Scope().Global().ARN("iam", "root"),
				Description:      v.Description,
				AllowedPattern:   v.AllowedPattern,
				Version:          num(v.Version),
				Tier:             v.Tier,
				Policies:         noPolicies(),
				DataType:         v.DataType,
			})
		}
		out.NextToken = next
		return nil
	})
	return out, err
}

// --- GetParameterHistory ---

func (b *Backend) getParameterHistory(ctx context.Context, in *wire.GetParameterHistoryRequest) (*wire.GetParameterHistoryResult, error) {
	if in.Name == "" {
		return nil, errMissing("name")
	}
	limit, err := maxResults(int32Ptr(in.MaxResults), 50)
	if err != nil {
		return nil, err
	}
	out := &wire.GetParameterHistoryResult{Parameters: []wire.ParameterHistory{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		p, err := loadParameter(tx, nameFromARN(in.Name))
		if err != nil {
			return err
		}
		// Versions sort as zero-padded numbers so the name-based paginator
		// keeps their order.
		page, next, err := paginate(p.Versions, func(v ParameterVersion) string { return padded(v.Version) }, in.NextToken, limit)
		if err != nil {
			return err
		}
		for i := range page {
			v := &page[i]
			labels := v.Labels
			if labels == nil {
				labels = []string{}
			}
			out.Parameters = append(out.Parameters, wire.ParameterHistory{
				Name:             p.Name,
				Type:             v.Type,
				KeyId:            v.KeyID,
				LastModifiedDate: stamp(awsjson.Time(v.LastModifiedDate)),
				LastModifiedUser: tx.Scope().Global().ARN("iam", "root"),
				Description:      v.Description,
				Value:            displayValue(v, isSet(in.WithDecryption)),
				AllowedPattern:   v.AllowedPattern,
				Version:          num(v.Version),
				Labels:           labels,
				Tier:             v.Tier,
				Policies:         noPolicies(),
				DataType:         v.DataType,
			})
		}
		out.NextToken = next
		return nil
	})
	return out, err
}

func padded(n int64) string {
	s := itoa(n)
	return strings.Repeat("0", max(0, 20-len(s))) + s
}

// --- labels ---

const maxLabelsPerVersion = 10

// validLabel follows AWS's label rules: up to 100 characters of letters,
// digits, '.', '-' and '_', not starting with a digit, "aws" or "ssm".
func validLabel(label string) bool {
	lower := strings.ToLower(label)
	if label == "" || len(label) > 100 || (label[0] >= '0' && label[0] <= '9') ||
		strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		return false
	}
	return strings.IndexFunc(label, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_')
	}) < 0
}

func (b *Backend) labelParameterVersion(ctx context.Context, in *wire.LabelParameterVersionRequest) (*wire.LabelParameterVersionResult, error) {
	invalid, version, err := b.changeLabels(ctx, in.Name, in.ParameterVersion, in.Labels, true)
	if err != nil {
		return nil, err
	}
	return &wire.LabelParameterVersionResult{InvalidLabels: invalid, ParameterVersion: num(version)}, nil
}

func (b *Backend) unlabelParameterVersion(ctx context.Context, in *wire.UnlabelParameterVersionRequest) (*wire.UnlabelParameterVersionResult, error) {
	if in.ParameterVersion == nil {
		return nil, errMissing("parameterVersion")
	}
	invalid, _, err := b.changeLabels(ctx, in.Name, in.ParameterVersion, in.Labels, false)
	if err != nil {
		return nil, err
	}
	removed := slices.DeleteFunc(slices.Clone(in.Labels), func(l string) bool { return slices.Contains(invalid, l) })
	return &wire.UnlabelParameterVersionResult{RemovedLabels: orEmpty(removed), InvalidLabels: invalid}, nil
}

// changeLabels adds labels to, or removes them from, a version of the
// parameter (the current one when version is nil), answering the labels
// it could not act on and the version it acted on.
func (b *Backend) changeLabels(ctx context.Context, nameOrARN string, version *int, labels []string, add bool) ([]string, int64, error) {
	if nameOrARN == "" {
		return nil, 0, errMissing("name")
	}
	if len(labels) == 0 || len(labels) > maxLabelsPerVersion {
		return nil, 0, errConstraint(labels, "labels", "Member must have length between 1 and 10")
	}
	name := nameFromARN(nameOrARN)
	invalid := []string{}
	var acted int64
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		if _, ok := publicParameter(tx.Scope().Region, name); ok {
			return errPublicParameter(name)
		}
		p, err := loadParameter(tx, name)
		if err != nil {
			return err
		}
		target := p.Current()
		if version != nil {
			if target = p.version(int64(*version)); target == nil {
				return errVersionNotFound(name, itoa(int64(*version)))
			}
		}
		for _, label := range labels {
			switch {
			case !validLabel(label):
				invalid = append(invalid, label)
			case add:
				// A label names one version: moving it takes it off the other.
				for i := range p.Versions {
					p.Versions[i].Labels = slices.DeleteFunc(p.Versions[i].Labels, func(l string) bool { return l == label })
				}
				target.Labels = append(target.Labels, label)
			case !slices.Contains(target.Labels, label):
				invalid = append(invalid, label)
			default:
				target.Labels = slices.DeleteFunc(target.Labels, func(l string) bool { return l == label })
			}
		}
		if len(target.Labels) > maxLabelsPerVersion {
			return protocol.Errorf("ParameterVersionLabelLimitExceeded", "A parameter version can have a maximum of %d labels.", maxLabelsPerVersion)
		}
		acted = target.Version
		return tx.Put(tableParameters, name, p)
	})
	return invalid, acted, err
}
