package job

import (
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/engine/msgpackmap"
)

// EncodeMsgpack writes j as a msgpack map with the field tags of Job as keys. It is written by
// hand because every step encodes jobs, and reflection cost more than the rest of the envelope
// work; the wire format is what the tags describe, so any msgpack library reads it.
func (j *Job) EncodeMsgpack(enc *msgpack.Encoder) error {
	w := msgpackmap.Writer{Enc: enc}
	w.Len(9 + msgpackmap.Count(j.For != "", j.Fence != 0, j.User != nil, j.Msg != nil, j.Due != 0, j.Rep != 0, j.Priority != 0, j.External, j.Vars != nil))
	w.Int("v", int64(j.V))
	w.Str("id", j.ID)
	w.Str("i", j.Instance)
	w.Str("t", j.Type)
	w.Int("k", int64(j.Kind))
	w.Str("tk", j.Token)
	w.Str("a", j.Activity)
	w.Bool("x", j.Exclusive)
	w.Int("c", j.Created)
	if j.For != "" {
		w.Str("f", j.For)
	}
	if j.Fence != 0 {
		w.Int("fc", j.Fence)
	}
	if j.User != nil {
		w.Value("u", j.User)
	}
	if j.Msg != nil {
		w.Value("m", j.Msg)
	}
	if j.Due != 0 {
		w.Int("du", j.Due)
	}
	if j.Rep != 0 {
		w.Int("rp", int64(j.Rep))
	}
	if j.Priority != 0 {
		w.Int("pr", j.Priority)
	}
	if j.External {
		w.Bool("xt", true)
	}
	if j.Vars != nil {
		w.Value("vs", j.Vars)
	}
	return w.Err
}

// DecodeMsgpack reads the map EncodeMsgpack writes; unknown keys are skipped, so a newer
// writer may add fields.
func (j *Job) DecodeMsgpack(dec *msgpack.Decoder) error {
	return msgpackmap.Read(dec, func(key string) error {
		var err error
		switch key {
		case "v":
			var v int64
			v, err = dec.DecodeInt64()
			j.V = int(v)
		case "id":
			j.ID, err = dec.DecodeString()
		case "i":
			j.Instance, err = dec.DecodeString()
		case "t":
			j.Type, err = dec.DecodeString()
		case "k":
			var k uint64
			k, err = dec.DecodeUint64()
			j.Kind = Kind(k)
		case "tk":
			j.Token, err = dec.DecodeString()
		case "a":
			j.Activity, err = dec.DecodeString()
		case "x":
			j.Exclusive, err = dec.DecodeBool()
		case "c":
			j.Created, err = dec.DecodeInt64()
		case "f":
			j.For, err = dec.DecodeString()
		case "fc":
			j.Fence, err = dec.DecodeInt64()
		case "u":
			j.User = &UserTask{}
			err = dec.Decode(j.User)
		case "m":
			j.Msg = &MessageSub{}
			err = dec.Decode(j.Msg)
		case "du":
			j.Due, err = dec.DecodeInt64()
		case "rp":
			j.Rep, err = dec.DecodeInt()
		case "pr":
			j.Priority, err = dec.DecodeInt64()
		case "xt":
			j.External, err = dec.DecodeBool()
		case "vs":
			err = dec.Decode(&j.Vars)
		default:
			err = dec.Skip()
		}
		return err
	})
}
