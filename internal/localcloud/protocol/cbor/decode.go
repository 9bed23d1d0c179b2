// Package cbor is the Smithy RPC v2 CBOR protocol (CloudWatch's first
// choice, the only one a current aws-sdk-go-v2 client sends): a CBOR body
// in, a CBOR body out, the operation named by the path
// /service/{Service}/operation/{Operation}.
//
// The decoder reads the RFC 8949 subset Smithy clients send (maps, arrays,
// text and byte strings, integers, floats of 16, 32 and 64 bits, booleans,
// null and undefined, tag 1 timestamps, indefinite-length strings, arrays
// and maps) into plain Go values, which then travel as JSON into the same
// input structs the awsJson codec fills: one set of request shapes serves
// every protocol of a service. Decoding is bounded by the input itself (no
// declared length may exceed what remains of the body) and by a nesting
// depth, and it never panics.
package cbor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// MaxDepth bounds how deeply arrays, maps and tags nest. Smithy shapes nest
// a handful of levels; the bound keeps a hostile body from exhausting the
// stack.
const MaxDepth = 64

// MaxItems bounds the data items of one body. Each becomes a Go value of
// 16 bytes or more, so a body of a million one-byte integers would cost
// far more memory than its size; CloudWatch's largest request
// (PutMetricData: 1,000 datums of 150 values and counts and 30 dimensions)
// is well under this.
const MaxItems = 1 << 20

// Epoch is a tag 1 timestamp: seconds since the Unix epoch.
type Epoch float64

// undefined is CBOR's undefined value (simple value 23) while it is read;
// it surfaces as nil, as Smithy treats it like null.
type undefined struct{}

var errBreak = errors.New("cbor: unexpected break")

// Decode reads exactly one CBOR data item from data. Values come back as
// map[string]any, []any, string, []byte, uint64 (non-negative integers),
// int64 (negative ones), float64, bool, nil (null and undefined) and Epoch.
func Decode(data []byte) (any, error) {
	d := decoder{data: data}
	v, err := d.item(0)
	if err != nil {
		if errors.Is(err, errBreak) {
			return nil, fmt.Errorf("cbor: break outside an indefinite-length item at offset %d", d.off-1)
		}
		return nil, err
	}
	if d.off != len(d.data) {
		return nil, fmt.Errorf("cbor: %d bytes after the data item", len(d.data)-d.off)
	}
	if _, ok := v.(undefined); ok {
		return nil, nil
	}
	return v, nil
}

type decoder struct {
	data  []byte
	off   int
	items int
}

func (d *decoder) remaining() int { return len(d.data) - d.off }

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("cbor: offset %d: %s", d.off, fmt.Sprintf(format, args...))
}

// head reads an item's initial byte and argument. For additional info 31
// (indefinite length, or break) it returns indefinite = true.
func (d *decoder) head() (major byte, info byte, arg uint64, indefinite bool, err error) {
	if d.remaining() < 1 {
		return 0, 0, 0, false, d.errorf("unexpected end of data")
	}
	b := d.data[d.off]
	d.off++
	major, info = b>>5, b&0x1f
	switch {
	case info < 24:
		return major, info, uint64(info), false, nil
	case info <= 27:
		n := 1 << (info - 24)
		if d.remaining() < n {
			return 0, 0, 0, false, d.errorf("unexpected end of data in a %d-byte argument", n)
		}
		p := d.data[d.off : d.off+n]
		d.off += n
		switch n {
		case 1:
			arg = uint64(p[0])
		case 2:
			arg = uint64(binary.BigEndian.Uint16(p))
		case 4:
			arg = uint64(binary.BigEndian.Uint32(p))
		default:
			arg = binary.BigEndian.Uint64(p)
		}
		return major, info, arg, false, nil
	case info == 31:
		return major, info, 0, true, nil
	default:
		return 0, 0, 0, false, d.errorf("reserved additional information %d", info)
	}
}

func (d *decoder) item(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.errorf("nested deeper than %d", MaxDepth)
	}
	if d.items++; d.items > MaxItems {
		return nil, d.errorf("more than %d data items", MaxItems)
	}
	major, info, arg, indefinite, err := d.head()
	if err != nil {
		return nil, err
	}
	switch major {
	case 0:
		if indefinite {
			return nil, d.errorf("indefinite length on an integer")
		}
		return arg, nil
	case 1:
		if indefinite {
			return nil, d.errorf("indefinite length on an integer")
		}
		if arg > math.MaxInt64 {
			return nil, d.errorf("negative integer -1-%d does not fit 64 bits", arg)
		}
		return -1 - int64(arg), nil
	case 2, 3:
		b, err := d.str(major, arg, indefinite)
		if err != nil {
			return nil, err
		}
		if major == 2 {
			return b, nil
		}
		if !utf8.Valid(b) {
			return nil, d.errorf("text string is not valid UTF-8")
		}
		return string(b), nil
	case 4:
		return d.array(arg, indefinite, depth)
	case 5:
		return d.dict(arg, indefinite, depth)
	case 6:
		if indefinite {
			return nil, d.errorf("indefinite length on a tag")
		}
		v, err := d.item(depth + 1)
		if err != nil {
			return nil, d.noBreak(err)
		}
		if arg != 1 { // other tags (bignums, …) are not Smithy's; their content stands
			return v, nil
		}
		switch n := v.(type) {
		case uint64:
			return Epoch(n), nil
		case int64:
			return Epoch(n), nil
		case float64:
			return Epoch(n), nil
		default:
			return nil, d.errorf("tag 1 (epoch timestamp) over a %T", v)
		}
	default: // 7: floats and simple values
		return d.simple(info, arg, indefinite)
	}
}

// str reads a byte or text string's content; an indefinite-length one is a
// sequence of definite chunks of the same major type, ended by a break.
func (d *decoder) str(major byte, n uint64, indefinite bool) ([]byte, error) {
	if !indefinite {
		if n > uint64(d.remaining()) {
			return nil, d.errorf("string of %d bytes runs past the end of the data", n)
		}
		b := d.data[d.off : d.off+int(n)]
		d.off += int(n)
		return append([]byte{}, b...), nil
	}
	out := []byte{}
	for {
		if d.remaining() < 1 {
			return nil, d.errorf("unterminated indefinite-length string")
		}
		if d.data[d.off] == 0xff {
			d.off++
			return out, nil
		}
		m, _, arg, ind, err := d.head()
		if err != nil {
			return nil, err
		}
		if m != major || ind {
			return nil, d.errorf("an indefinite-length string's chunk must be a definite string of the same type")
		}
		if arg > uint64(d.remaining()) {
			return nil, d.errorf("string chunk of %d bytes runs past the end of the data", arg)
		}
		out = append(out, d.data[d.off:d.off+int(arg)]...)
		d.off += int(arg)
	}
}

func (d *decoder) array(n uint64, indefinite bool, depth int) (any, error) {
	if indefinite {
		out := []any{}
		for {
			v, err := d.item(depth + 1)
			if errors.Is(err, errBreak) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			out = append(out, value(v))
		}
	}
	// Every item takes at least one byte: a count beyond the data left is
	// a lie. Nor does a plausible count size the allocation (nested
	// arrays could each claim the rest of the body): the slice grows with
	// the items actually read.
	if n > uint64(d.remaining()) {
		return nil, d.errorf("array of %d items runs past the end of the data", n)
	}
	out := make([]any, 0, min(n, 64))
	for range n {
		v, err := d.item(depth + 1)
		if err != nil {
			return nil, d.noBreak(err)
		}
		out = append(out, value(v))
	}
	return out, nil
}

func (d *decoder) dict(n uint64, indefinite bool, depth int) (any, error) {
	if !indefinite && n > uint64(d.remaining())/2 {
		return nil, d.errorf("map of %d entries runs past the end of the data", n)
	}
	out := map[string]any{}
	for i := uint64(0); indefinite || i < n; i++ {
		k, err := d.item(depth + 1)
		if indefinite && errors.Is(err, errBreak) {
			return out, nil
		}
		if err != nil {
			return nil, d.noBreak(err)
		}
		key, ok := k.(string)
		if !ok {
			return nil, d.errorf("map key is a %T, not a text string", k)
		}
		v, err := d.item(depth + 1)
		if err != nil {
			return nil, d.noBreak(err)
		}
		out[key] = value(v)
	}
	return out, nil
}

// noBreak turns a break where an item was required into a plain error.
func (d *decoder) noBreak(err error) error {
	if errors.Is(err, errBreak) {
		return d.errorf("break where a data item was expected")
	}
	return err
}

func value(v any) any {
	if _, ok := v.(undefined); ok {
		return nil
	}
	return v
}

func (d *decoder) simple(info byte, arg uint64, indefinite bool) (any, error) {
	if indefinite {
		return nil, errBreak
	}
	switch info {
	case 20:
		return false, nil
	case 21:
		return true, nil
	case 22:
		return nil, nil
	case 23:
		return undefined{}, nil
	case 25:
		return float16(uint16(arg)), nil
	case 26:
		return float64(math.Float32frombits(uint32(arg))), nil
	case 27:
		return math.Float64frombits(arg), nil
	default:
		return nil, d.errorf("simple value %d is not used by Smithy", arg)
	}
}

// float16 widens an IEEE 754 half-precision float.
func float16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	default:
		return sign * math.Ldexp(frac+1024, exp-25)
	}
}
