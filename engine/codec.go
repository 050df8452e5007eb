package engine

import (
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/engine/msgpackmap"
)

// Every step decodes and encodes an instance's state and encodes its history events, so these
// types encode by hand (engine/msgpackmap) rather than by reflection. The wire format is the map
// their msgpack tags describe.

// EncodeMsgpack writes s.
func (s *State) EncodeMsgpack(enc *msgpack.Encoder) error {
	w := msgpackmap.Writer{Enc: enc}
	w.Len(7 + msgpackmap.Count(s.BusinessKey != "", s.Ended != 0, s.Caller != nil, s.Thrown != nil))
	w.Str("id", s.ID)
	w.Str("pk", s.ProcessKey)
	w.Int("dv", int64(s.DefinitionVersion))
	if s.BusinessKey != "" {
		w.Str("bk", s.BusinessKey)
	}
	w.Value("vars", s.Variables)
	if w.Key("tok") {
		w.Err = enc.EncodeArrayLen(len(s.Tokens))
		for _, t := range s.Tokens {
			if w.Err == nil {
				w.Err = t.EncodeMsgpack(enc)
			}
		}
	}
	w.Int("seq", int64(s.Seq))
	w.Int("st", s.Started)
	if s.Ended != 0 {
		w.Int("en", s.Ended)
	}
	if s.Caller != nil {
		w.Value("cl", s.Caller)
	}
	if s.Thrown != nil {
		w.Value("th", s.Thrown)
	}
	return w.Err
}

// DecodeMsgpack reads what EncodeMsgpack writes; unknown keys are skipped.
func (s *State) DecodeMsgpack(dec *msgpack.Decoder) error {
	return msgpackmap.Read(dec, func(key string) error {
		var err error
		switch key {
		case "id":
			s.ID, err = dec.DecodeString()
		case "pk":
			s.ProcessKey, err = dec.DecodeString()
		case "dv":
			var v int64
			v, err = dec.DecodeInt64()
			s.DefinitionVersion = int(v)
		case "bk":
			s.BusinessKey, err = dec.DecodeString()
		case "vars":
			err = dec.Decode(&s.Variables)
		case "tok":
			var n int
			if n, err = dec.DecodeArrayLen(); err != nil || n <= 0 {
				return err
			}
			s.Tokens = make([]*Token, n)
			for i := range s.Tokens {
				s.Tokens[i] = &Token{}
				if err = s.Tokens[i].DecodeMsgpack(dec); err != nil {
					return err
				}
			}
		case "seq":
			var v int64
			v, err = dec.DecodeInt64()
			s.Seq = int(v)
		case "st":
			s.Started, err = dec.DecodeInt64()
		case "en":
			s.Ended, err = dec.DecodeInt64()
		case "cl":
			s.Caller = &Caller{}
			err = dec.Decode(s.Caller)
		case "th":
			s.Thrown = &BPMNError{}
			err = dec.Decode(s.Thrown)
		default:
			err = dec.Skip()
		}
		return err
	})
}

// EncodeMsgpack writes t.
func (t *Token) EncodeMsgpack(enc *msgpack.Encoder) error {
	w := msgpackmap.Writer{Enc: enc}
	w.Len(2 + msgpackmap.Count(t.Wait != "", t.Job != "", t.Via != "", t.Parent != "", t.Locals != nil,
		t.Loop != "", t.Items != nil, t.Child != "", t.Result != nil, t.Thrown != nil, t.ResultKey != "", t.Events != nil,
		t.Armed, t.Boundaries != nil))
	w.Str("id", t.ID)
	w.Str("a", t.Activity)
	if t.Wait != "" {
		w.Str("w", string(t.Wait))
	}
	if t.Job != "" {
		w.Str("j", t.Job)
	}
	if t.Via != "" {
		w.Str("v", t.Via)
	}
	if t.Parent != "" {
		w.Str("p", t.Parent)
	}
	if t.Locals != nil {
		w.Value("l", t.Locals)
	}
	if t.Loop != "" {
		w.Str("lp", t.Loop)
	}
	if t.Items != nil {
		w.Value("it", t.Items)
	}
	if t.Child != "" {
		w.Str("c", t.Child)
	}
	if t.Result != nil {
		w.Value("rs", t.Result)
	}
	if t.Thrown != nil {
		w.Value("th", t.Thrown)
	}
	if t.ResultKey != "" {
		w.Str("rk", t.ResultKey)
	}
	if t.Events != nil {
		w.Value("ev", t.Events)
	}
	if t.Armed {
		w.Bool("ar", true)
	}
	if t.Boundaries != nil {
		w.Value("bd", t.Boundaries)
	}
	return w.Err
}

// DecodeMsgpack reads what EncodeMsgpack writes; unknown keys are skipped.
func (t *Token) DecodeMsgpack(dec *msgpack.Decoder) error {
	return msgpackmap.Read(dec, func(key string) error {
		var err error
		switch key {
		case "id":
			t.ID, err = dec.DecodeString()
		case "a":
			t.Activity, err = dec.DecodeString()
		case "w":
			var w string
			w, err = dec.DecodeString()
			t.Wait = Wait(w)
		case "j":
			t.Job, err = dec.DecodeString()
		case "v":
			t.Via, err = dec.DecodeString()
		case "p":
			t.Parent, err = dec.DecodeString()
		case "l":
			err = dec.Decode(&t.Locals)
		case "lp":
			t.Loop, err = dec.DecodeString()
		case "it":
			err = dec.Decode(&t.Items)
		case "c":
			t.Child, err = dec.DecodeString()
		case "rs":
			err = dec.Decode(&t.Result)
		case "th":
			t.Thrown = &BPMNError{}
			err = dec.Decode(t.Thrown)
		case "rk":
			t.ResultKey, err = dec.DecodeString()
		case "ev":
			err = dec.Decode(&t.Events)
		case "ar":
			t.Armed, err = dec.DecodeBool()
		case "bd":
			err = dec.Decode(&t.Boundaries)
		default:
			err = dec.Skip()
		}
		return err
	})
}

// EncodeMsgpack writes e.
func (e *HistoryEvent) EncodeMsgpack(enc *msgpack.Encoder) error {
	w := msgpackmap.Writer{Enc: enc}
	w.Len(4 + msgpackmap.Count(e.Variable != "", e.Value != nil))
	w.Str("t", e.Type)
	w.Str("a", e.Activity)
	w.Str("tk", e.Token)
	w.Int("ts", e.Time)
	if e.Variable != "" {
		w.Str("vr", e.Variable)
	}
	if e.Value != nil {
		w.Value("vl", e.Value)
	}
	return w.Err
}

// DecodeMsgpack reads what EncodeMsgpack writes; unknown keys are skipped.
func (e *HistoryEvent) DecodeMsgpack(dec *msgpack.Decoder) error {
	return msgpackmap.Read(dec, func(key string) error {
		var err error
		switch key {
		case "t":
			e.Type, err = dec.DecodeString()
		case "a":
			e.Activity, err = dec.DecodeString()
		case "tk":
			e.Token, err = dec.DecodeString()
		case "ts":
			e.Time, err = dec.DecodeInt64()
		case "vr":
			e.Variable, err = dec.DecodeString()
		case "vl":
			e.Value, err = dec.DecodeInterfaceLoose()
			e.Value = normalizeNumber(e.Value)
		default:
			err = dec.Skip()
		}
		return err
	})
}
