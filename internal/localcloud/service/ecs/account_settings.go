package ecs

import (
	"cmp"
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// accountSettingDefaults are the values an account has before anyone sets
// them (long ARN formats have been the only format for years).
var accountSettingDefaults = map[string]string{
	"serviceLongArnFormat":            "enabled",
	"taskLongArnFormat":               "enabled",
	"containerInstanceLongArnFormat":  "enabled",
	"awsvpcTrunking":                  "disabled",
	"containerInsights":               "disabled",
	"dualStackIPv6":                   "disabled",
	"fargateFIPSMode":                 "disabled",
	"tagResourceAuthorization":        "on",
	"fargateTaskRetirementWaitPeriod": "7",
	"guardDutyActivate":               "off",
	"defaultLogDriverMode":            "non-blocking",
	"fargateEventWindows":             "disabled",
}

func (s *State) rootARN() string { return s.tx.Scope().Global().ARN("iam", "root") }

func validateSettingName(name string) error {
	if name == "" {
		return errMissing("name")
	}
	if _, ok := accountSettingDefaults[name]; !ok {
		return errInvalidParameter("Invalid account setting name: %s.", name)
	}
	return nil
}

// The local cloud has one principal, the account root, so a setting and its
// account default are the same record.
func (b *Backend) putAccountSetting(ctx context.Context, in *wire.PutAccountSettingRequest) (*wire.PutAccountSettingResponse, error) {
	if err := validateSettingName(in.Name); err != nil {
		return nil, err
	}
	if in.Value == "" {
		return nil, errMissing("value")
	}
	out := &wire.PutAccountSettingResponse{}
	err := b.Update(ctx, func(s *State) error {
		setting := &Setting{Name: in.Name, Value: in.Value, PrincipalArn: cmp.Or(in.PrincipalArn, s.rootARN()), Type: "user"}
		out.Setting = setting
		return s.tx.Put(tableAccountSettings, in.Name, setting)
	})
	return out, err
}

func (b *Backend) putAccountSettingDefault(ctx context.Context, in *wire.PutAccountSettingDefaultRequest) (*wire.PutAccountSettingDefaultResponse, error) {
	out, err := b.putAccountSetting(ctx, &wire.PutAccountSettingRequest{Name: in.Name, Value: in.Value})
	if err != nil {
		return nil, err
	}
	return &wire.PutAccountSettingDefaultResponse{Setting: out.Setting}, nil
}

func (b *Backend) deleteAccountSetting(ctx context.Context, in *wire.DeleteAccountSettingRequest) (*wire.DeleteAccountSettingResponse, error) {
	if err := validateSettingName(in.Name); err != nil {
		return nil, err
	}
	out := &wire.DeleteAccountSettingResponse{}
	err := b.Update(ctx, func(s *State) error {
		stored, err := store.Get[Setting](s.tx, tableAccountSettings, in.Name)
		if err != nil {
			return err
		}
		if stored == nil {
			stored = &Setting{Name: in.Name, Value: accountSettingDefaults[in.Name], PrincipalArn: cmp.Or(in.PrincipalArn, s.rootARN()), Type: "user"}
		}
		out.Setting = stored
		return s.tx.Delete(tableAccountSettings, in.Name)
	})
	return out, err
}

func (b *Backend) listAccountSettings(ctx context.Context, in *wire.ListAccountSettingsRequest) (*wire.ListAccountSettingsResponse, error) {
	if in.Name != "" {
		if err := validateSettingName(in.Name); err != nil {
			return nil, err
		}
	}
	var settings []Setting
	err := b.View(ctx, func(s *State) error {
		stored, err := store.List[Setting](s.tx, tableAccountSettings)
		if err != nil {
			return err
		}
		byName := map[string]Setting{}
		for _, st := range stored {
			byName[st.Name] = *st
		}
		if ptrValue(in.EffectiveSettings) {
			for name, value := range accountSettingDefaults {
				if _, set := byName[name]; !set {
					byName[name] = Setting{Name: name, Value: value, PrincipalArn: cmp.Or(in.PrincipalArn, s.rootARN()), Type: "aws_managed"}
				}
			}
		}
		for _, st := range byName {
			if (in.Name == "" || st.Name == in.Name) && (in.Value == "" || st.Value == in.Value) {
				settings = append(settings, st)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(settings, func(a, b Setting) int { return cmp.Compare(a.Name, b.Name) })
	pageOf, next, err := page(settings, func(st Setting) string { return st.Name + "\x00" + st.PrincipalArn }, in.NextToken, in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	return &wire.ListAccountSettingsResponse{Settings: orEmpty(pageOf), NextToken: next}, nil
}
