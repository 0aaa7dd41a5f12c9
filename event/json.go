package event

// JSONKind is how a field's value is written in JSON (gopulse logs parse,
// and what its JSON Schema describes).
type JSONKind uint8

// The JSON kinds of a field value.
const (
	JSONNull    JSONKind = iota // no value ("-" in an access log, JSON null)
	JSONString                  // anything else
	JSONInteger                 // an int whose text is a JSON integer
	JSONNumber                  // a float whose text is a JSON number
	JSONBool                    // a bool whose text is true or false
)

var jsonKindNames = [...]string{JSONNull: "null", JSONString: "string", JSONInteger: "integer", JSONNumber: "number", JSONBool: "boolean"}

// String returns the JSON Schema type name of the kind.
func (k JSONKind) String() string { return jsonKindNames[k] }

// JSONKind returns how f is written in JSON: numbers and booleans bare
// when their text is valid JSON for them, a nil value as null, everything
// else as a string.
func (f Field) JSONKind() JSONKind {
	if f.Value == nil {
		return JSONNull
	}
	switch f.Type {
	case TypeInt, TypeFloat:
		if integer, ok := jsonNumber(f.Value); ok {
			if integer {
				return JSONInteger
			}
			return JSONNumber
		}
	case TypeBool:
		if string(f.Value) == "true" || string(f.Value) == "false" {
			return JSONBool
		}
	}
	return JSONString
}

// jsonNumber reports whether v is a JSON number
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) and whether it is an
// integer (no fraction, no exponent).
func jsonNumber(v []byte) (integer, ok bool) {
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	if i >= len(v) {
		return false, false
	}
	if v[i] == '0' {
		i++
	} else if v[i] >= '1' && v[i] <= '9' {
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
	} else {
		return false, false
	}
	integer = true
	if i < len(v) && v[i] == '.' {
		integer = false
		i++
		d := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		integer = false
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		d := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	return integer, i == len(v)
}
