package protocol

import "time"

// XMLTime is a timestamp the way the query and EC2 protocols carry it:
// ISO 8601 in UTC with milliseconds, e.g. 2026-01-15T12:00:00.000Z.
type XMLTime time.Time

// Time returns t as a time.Time.
func (t XMLTime) Time() time.Time { return time.Time(t) }

// IsZero reports whether t is unset, so `xml:",omitempty"` can skip it.
func (t XMLTime) IsZero() bool { return time.Time(t).IsZero() }

// MarshalText writes the ISO 8601 form both SDKs parse.
func (t XMLTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

// UnmarshalText reads any RFC 3339 timestamp.
func (t *XMLTime) UnmarshalText(b []byte) error {
	parsed, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return err
	}
	*t = XMLTime(parsed)
	return nil
}
