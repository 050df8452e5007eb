// Package msgpackmap writes and reads msgpack maps with string keys by hand. The engine's hot
// types (the job envelope, an instance's state, tokens and history events) encode with it
// instead of reflection; their wire format stays a plain map whose keys are the types' msgpack
// tags, so any msgpack library reads what they write.
package msgpackmap

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// Writer writes map entries and keeps the first error, so a codec can write every field and
// check once.
type Writer struct {
	Enc *msgpack.Encoder
	Err error
}

// Len starts a map of n entries.
func (w *Writer) Len(n int) {
	if w.Err == nil {
		w.Err = w.Enc.EncodeMapLen(n)
	}
}

// Key writes a key and reports whether the value may follow.
func (w *Writer) Key(k string) bool {
	if w.Err == nil {
		w.Err = w.Enc.EncodeString(k)
	}
	return w.Err == nil
}

// Str writes a string entry.
func (w *Writer) Str(k, v string) {
	if w.Key(k) {
		w.Err = w.Enc.EncodeString(v)
	}
}

// Int writes an integer entry.
func (w *Writer) Int(k string, v int64) {
	if w.Key(k) {
		w.Err = w.Enc.EncodeInt(v)
	}
}

// Bool writes a boolean entry.
func (w *Writer) Bool(k string, v bool) {
	if w.Key(k) {
		w.Err = w.Enc.EncodeBool(v)
	}
}

// Value writes an entry of any type, by reflection.
func (w *Writer) Value(k string, v any) {
	if w.Key(k) {
		w.Err = w.Enc.Encode(v)
	}
}

// Read reads a map with string keys, calling field for each key with the decoder positioned at
// its value; field must consume the value (dec.Skip() for keys it does not know, so newer
// writers may add fields). A nil map reads as empty.
func Read(dec *msgpack.Decoder, field func(key string) error) error {
	n, err := dec.DecodeMapLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		key, err := dec.DecodeString()
		if err != nil {
			return err
		}
		if err := field(key); err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
	}
	return nil
}

// Count returns how many of the flags are true: the entries an omitempty field adds.
func Count(present ...bool) int {
	n := 0
	for _, p := range present {
		if p {
			n++
		}
	}
	return n
}
