// Package jsoncopy deep-copies API objects through their JSON form. The hand-written types
// next to it carry only JSON-serialisable fields (that is what their CRDs describe), so a
// JSON round trip is a complete deep copy; it stands in for generated DeepCopy code.
package jsoncopy

import "encoding/json"

// Of returns a deep copy of in (nil for nil).
func Of[T any](in *T) *T {
	if in == nil {
		return nil
	}
	data, err := json.Marshal(in)
	if err != nil {
		panic("jsoncopy: " + err.Error())
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		panic("jsoncopy: " + err.Error())
	}
	return out
}
