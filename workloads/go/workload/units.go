package workload

import "fmt"

// UnitKind is how a divisible workload's configured loop becomes units.
type UnitKind int

const (
	// Strided units take every P-th element of the whole configured range,
	// so a unit's elements have the same mix of magnitudes as a full loop
	// (a number's size changes what it costs in CPython: the small-int fast
	// paths, str(i)'s digit count), and every unit costs the same.
	Strided UnitKind = iota + 1
	// Shrunk units run the workload with the divided parameter made P times
	// smaller and everything else (shared state and check too) unchanged:
	// its elements all cost the same whatever their position.
	Shrunk
)

// Unit says how a configured loop divides into P equal units: which
// parameter is divided, and how.
type Unit struct {
	Param string
	Kind  UnitKind
}

// StrideParam is the parameter a strided unit's tasks read their stride
// from (absent: 1, a whole loop). No built-in workload has a parameter of
// that name, and the configured parameters are validated before it is added.
const StrideParam = "stride"

// stride is the stride the tasks of a run with params p take.
func stride(p Params) int {
	if s := p[StrideParam]; s > 1 {
		return s
	}
	return 1
}

// UnitParams returns the parameters the tasks run with when the configured
// loop p is divided into units units, one pass of the timed body being one
// unit. With units = 1 they are p itself, for every workload. The error
// names what is wrong in the words of the units contract (the command
// prefixes its flag).
func (w Workload) UnitParams(p Params, units int) (Params, error) {
	switch {
	case units < 1:
		return nil, fmt.Errorf("%d is below 1", units)
	case units == 1:
		return p, nil
	case w.Unit == nil && w.Indivisible != "":
		return nil, fmt.Errorf("%s cannot be divided into units: %s", w.Name, w.Indivisible)
	case w.Unit == nil:
		return nil, fmt.Errorf("a user's workload cannot be divided into units")
	}
	n := p[w.Unit.Param]
	if n%units != 0 {
		return nil, fmt.Errorf("%d does not divide %s=%d evenly", units, w.Unit.Param, n)
	}
	unit := make(Params, len(p)+1)
	for name, value := range p {
		unit[name] = value
	}
	if w.Unit.Kind == Strided {
		unit[StrideParam] = units
	} else {
		unit[w.Unit.Param] = n / units
	}
	return unit, nil
}
