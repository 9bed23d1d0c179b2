package ssm

import (
	"context"
	"errors"
	"github.com/berthdev/berth/internal/localcloud/service/ssm/wire"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const (
	maxNameLength        = 1011
	maxHierarchyLevels   = 15
	maxStandardValue     = 4096
	maxAdvancedValue     = 8192
	maxVersions          = 100
	defaultSecureKeyID   = "alias/aws/ssm"
	maxDescriptionLength = 1024
)

var nameCharacters = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

func validateName(name string) error {
	switch {
	case name == "":
		return errMissing("name")
	case len(name) > maxNameLength:
		return errConstraint(name, "name", "Member must have length less than or equal to "+itoa(maxNameLength))
	case !nameCharacters.MatchString(name):
		return errValidation("Parameter name: can't contain characters other than a-z, A-Z, 0-9, _ . - and /.")
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return errValidation("Parameter name must be a fully qualified name.")
	case strings.Contains(name, "//") || (strings.Contains(name, "/") && strings.HasSuffix(name, "/")):
		return errValidation("Parameter name: can't contain empty hierarchy levels.")
	case strings.Count(name, "/") > maxHierarchyLevels:
		return protocol.Errorf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxHierarchyLevels)
	}
	return nil
}

// errorCode returns the AWS error code err carries, or "".
func errorCode(err error) string {
	var apiErr *protocol.Error
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// --- wire shapes ---

func shapeOfParameter(p *Parameter, v *ParameterVersion, scope store.Scope, selector string, withDecryption bool) wire.Parameter {
	return wire.Parameter{
		Name:             p.Name,
		Type:             v.Type,
		Value:            displayValue(v, withDecryption),
		Version:          num(v.Version),
		Selector:         selector,
		LastModifiedDate: stamp(awsjson.Time(v.LastModifiedDate)),
		ARN:              p.ARN(scope),
		DataType:         v.DataType,
	}
}

// --- PutParameter ---

func (b *Backend) putParameter(ctx context.Context, in *wire.PutParameterRequest) (*wire.PutParameterResult, error) {
	if err := validateName(in.Name); err != nil {
		return nil, err
	}
	if isReserved(in.Name) {
		// The public names are the same in every region; only values differ.
		scope, _ := store.ScopeFrom(ctx)
		if _, ok := publicParameter(scope.Region, in.Name); ok {
			return nil, errPublicParameter(in.Name)
		}
		return nil, errValidation(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`)
	}
	if in.Value == "" {
		return nil, errConstraint("", "value", "Member must have length greater than or equal to 1")
	}
	switch in.Type {
	case "", "String", "StringList", "SecureString":
	default:
		return nil, errConstraint(in.Type, "type", "Member must satisfy enum value set: [SecureString, StringList, String]")
	}
	switch in.Tier {
	case "", "Standard", "Advanced", "Intelligent-Tiering":
	default:
		return nil, errConstraint(in.Tier, "tier", "Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]")
	}
	switch in.DataType {
	case "", "text", "aws:ec2:image", "aws:ssm:integration":
	default:
		return nil, errValidation("The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	if in.DataType == "aws:ec2:image" && !strings.HasPrefix(in.Value, "ami-") {
		return nil, errValidation("Parameter value, %s, is not a valid AMI ID for data type aws:ec2:image.", in.Value)
	}
	if in.Description != nil && len(*in.Description) > maxDescriptionLength {
		return nil, errConstraint(*in.Description, "description", "Member must have length less than or equal to 1024")
	}
	if isSet(in.Overwrite) && len(in.Tags) > 0 {
		return nil, errValidation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if in.Policies != "" {
		return nil, protocol.Errorf("InvalidPolicyTypeException", "Parameter policies are not supported by the local cloud.")
	}
	out := &wire.PutParameterResult{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		key := in.Name
		existing, err := store.Get[Parameter](tx, tableParameters, key)
		if err != nil {
			return err
		}
		if existing != nil && !isSet(in.Overwrite) {
			return errAlreadyExists()
		}
		if existing == nil && in.Type == "" {
			return errValidation("A parameter type is required when you create a parameter.")
		}
		next, err := nextVersion(existing, in, b.now())
		if err != nil {
			return err
		}
		param := existing
		if param == nil {
			param = &Parameter{Name: in.Name, Tags: in.Tags}
		}
		param.Versions = append(param.Versions, *next)
		if len(param.Versions) > maxVersions {
			if len(param.Versions[0].Labels) > 0 {
				return protocol.Errorf("ParameterMaxVersionLimitExceeded", "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", in.Name, param.Versions[0].Version)
			}
			param.Versions = param.Versions[1:]
		}
		out.Version, out.Tier = num(next.Version), next.Tier
		return tx.Put(tableParameters, key, param)
	})
	return out, err
}

// nextVersion builds the version a PutParameter call writes: members left
// out keep their current values, as AWS keeps them on overwrite.
func nextVersion(existing *Parameter, in *wire.PutParameterRequest, now time.Time) (*ParameterVersion, error) {
	v := ParameterVersion{Version: 1, Type: "String", DataType: "text", Tier: "Standard"}
	if existing != nil {
		current := existing.Current()
		v = *current
		v.Version = current.Version + 1
		v.Labels = nil
	}
	v.Value = in.Value
	v.LastModifiedDate = now.UTC().Truncate(time.Millisecond)
	if in.Type != "" {
		v.Type = in.Type
	}
	if in.DataType != "" {
		v.DataType = in.DataType
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.AllowedPattern != nil {
		v.AllowedPattern = *in.AllowedPattern
	}
	switch {
	case v.Type != "SecureString":
		v.KeyID = ""
	case in.KeyId != "":
		v.KeyID = in.KeyId
	case v.KeyID == "":
		v.KeyID = defaultSecureKeyID
	}
	if in.KeyId != "" && v.Type != "SecureString" {
		return nil, errValidation("KeyId is required for SecureString type parameter only.")
	}
	if v.AllowedPattern != "" {
		re, err := regexp.Compile(v.AllowedPattern)
		if err != nil {
			return nil, errValidation("The allowed pattern %s is not a valid regular expression.", v.AllowedPattern)
		}
		if !re.MatchString(v.Value) {
			return nil, protocol.Errorf("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
		}
	}
	switch in.Tier {
	case "Advanced":
		v.Tier = "Advanced"
	case "Standard":
		if v.Tier == "Advanced" {
			return nil, errValidation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
	case "Intelligent-Tiering":
		if len(v.Value) > maxStandardValue {
			v.Tier = "Advanced"
		}
	}
	limit := maxStandardValue
	if v.Tier == "Advanced" {
		limit = maxAdvancedValue
	}
	if len(v.Value) > limit {
		return nil, errValidation("%s tier parameters support a maximum parameter value of %d characters.", v.Tier, limit)
	}
	return &v, nil
}

// --- GetParameter, GetParameters ---

// splitSelector splits "name:3" or "name:label" (names cannot hold ':').
func splitSelector(nameOrARN string) (name, selector string) {
	name = nameFromARN(nameOrARN)
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[:i], name[i:]
	}
	return name, ""
}

// resolve finds the parameter version a (possibly selected) name refers to.
func resolve(tx *store.Tx, nameOrARN string) (*Parameter, *ParameterVersion, string, error) {
	name, selector := splitSelector(nameOrARN)
	p, err := loadParameter(tx, name)
	if err != nil {
		return nil, nil, "", err
	}
	if selector == "" {
		return p, p.Current(), "", nil
	}
	ref := selector[1:]
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		v := p.version(n)
		if v == nil {
			return nil, nil, "", errVersionNotFound(name, ref)
		}
		return p, v, selector, nil
	}
	for i := range p.Versions {
		if slices.Contains(p.Versions[i].Labels, ref) {
			return p, &p.Versions[i], selector, nil
		}
	}
	return nil, nil, "", errParameterNotFound(nameOrARN)
}

func (b *Backend) getParameter(ctx context.Context, in *wire.GetParameterRequest) (*wire.GetParameterResult, error) {
	if in.Name == "" {
		return nil, errMissing("name")
	}
	out := &wire.GetParameterResult{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, v, selector, err := resolve(tx, in.Name)
		if err != nil {
			return err
		}
		parameter := shapeOfParameter(p, v, tx.Scope(), selector, isSet(in.WithDecryption))
		out.Parameter = &parameter
		return nil
	})
	return out, err
}

func (b *Backend) getParameters(ctx context.Context, in *wire.GetParametersRequest) (*wire.GetParametersResult, error) {
	if len(in.Names) == 0 {
		return nil, errConstraint("[]", "names", "Member must have length greater than or equal to 1")
	}
	if len(in.Names) > 10 {
		return nil, errConstraint(in.Names, "names", "Member must have length less than or equal to 10")
	}
	out := &wire.GetParametersResult{Parameters: []wire.Parameter{}, InvalidParameters: []string{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		seen := map[string]bool{}
		for _, name := range in.Names {
			if seen[name] {
				continue
			}
			seen[name] = true
			p, v, selector, err := resolve(tx, name)
			if code := errorCode(err); code == "ParameterNotFound" || code == "ParameterVersionNotFound" {
				out.InvalidParameters = append(out.InvalidParameters, name)
				continue
			}
			if err != nil {
				return err
			}
			out.Parameters = append(out.Parameters, shapeOfParameter(p, v, tx.Scope(), selector, isSet(in.WithDecryption)))
		}
		return nil
	})
	return out, err
}

// --- GetParametersByPath ---

// underPath reports whether name lies below path: anywhere below when
// recursive, else exactly one level down.
func underPath(name, path string, recursive bool) bool {
	prefix := strings.TrimSuffix(path, "/") + "/"
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return false
	}
	return recursive || !strings.Contains(rest, "/")
}

func (b *Backend) getParametersByPath(ctx context.Context, in *wire.GetParametersByPathRequest) (*wire.GetParametersByPathResult, error) {
	switch {
	case in.Path == "":
		return nil, errMissing("path")
	case !strings.HasPrefix(in.Path, "/"):
		return nil, errValidation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
	case strings.Count(in.Path, "/") > maxHierarchyLevels:
		return nil, protocol.Errorf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxHierarchyLevels)
	}
	for _, f := range in.ParameterFilters {
		if f.Key != "Type" && f.Key != "KeyId" && f.Key != "Label" && f.Key != "DataType" && f.Key != "Tier" && !strings.HasPrefix(f.Key, "tag:") {
			return nil, protocol.Errorf("InvalidFilterKey", "The following filter key is not valid: %s. Valid filter keys include: [Type, KeyId, Label].", f.Key)
		}
	}
	limit, err := maxResults(int32Ptr(in.MaxResults), 10)
	if err != nil {
		return nil, err
	}
	out := &wire.GetParametersByPathResult{Parameters: []wire.Parameter{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		candidates, err := storedParameters(tx)
		if err != nil {
			return err
		}
		for _, p := range publicParameters(tx.Scope().Region) {
			candidates = append(candidates, p) // matched is sorted below
		}
		var matched []*Parameter
		for _, p := range candidates {
			if !underPath(p.Name, in.Path, isSet(in.Recursive)) {
				continue
			}
			ok, err := matchesFilters(p, in.ParameterFilters)
			if err != nil {
				return err
			}
			if ok {
				matched = append(matched, p)
			}
		}
		slices.SortFunc(matched, func(a, b *Parameter) int { return strings.Compare(a.Name, b.Name) })
		page, next, err := paginate(matched, func(p *Parameter) string { return p.Name }, in.NextToken, limit)
		if err != nil {
			return err
		}
		for _, p := range page {
			out.Parameters = append(out.Parameters, shapeOfParameter(p, p.Current(), tx.Scope(), "", isSet(in.WithDecryption)))
		}
		out.NextToken = next
		return nil
	})
	return out, err
}

// --- DeleteParameter, DeleteParameters ---

func (b *Backend) deleteParameter(ctx context.Context, in *wire.DeleteParameterRequest) (*wire.DeleteParameterResult, error) {
	if in.Name == "" {
		return nil, errMissing("name")
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error { return deleteOne(tx, nameFromARN(in.Name)) })
}

func deleteOne(tx *store.Tx, name string) error {
	if _, ok := publicParameter(tx.Scope().Region, name); ok {
		return errPublicParameter(name)
	}
	p, err := store.Get[Parameter](tx, tableParameters, name)
	if err != nil {
		return err
	}
	if p == nil {
		return errParameterNotFound(name)
	}
	return tx.Delete(tableParameters, name)
}

func (b *Backend) deleteParameters(ctx context.Context, in *wire.DeleteParametersRequest) (*wire.DeleteParametersResult, error) {
	if len(in.Names) == 0 {
		return nil, errConstraint("[]", "names", "Member must have length greater than or equal to 1")
	}
	if len(in.Names) > 10 {
		return nil, errConstraint(in.Names, "names", "Member must have length less than or equal to 10")
	}
	out := &wire.DeleteParametersResult{DeletedParameters: []string{}, InvalidParameters: []string{}}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		for _, name := range in.Names {
			err := deleteOne(tx, nameFromARN(name))
			if errorCode(err) == "ParameterNotFound" {
				out.InvalidParameters = append(out.InvalidParameters, name)
				continue
			}
			if err != nil {
				return err
			}
			out.DeletedParameters = append(out.DeletedParameters, name)
		}
		return nil
	})
	return out, err
}
