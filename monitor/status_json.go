package monitor

import "encoding/json"

// statusFields is Status without its JSON methods, for encoding its fields as they are.
type statusFields Status

// statusJSON is the status API's form of a Status: its fields, plus the diagnosis' product and
// short phrase, which `check --json` leaves out (Diagnosis' fields of the same names are
// `json:"-"`) but the tray needs to name the product without reading it out of the title.
type statusJSON struct {
	statusFields
	Product string `json:"product,omitempty"`
	Short   string `json:"short_cause,omitempty"`
}

// MarshalJSON encodes the status with "product" and "short_cause" added to its fields.
func (s Status) MarshalJSON() ([]byte, error) {
	return json.Marshal(statusJSON{statusFields: statusFields(s), Product: s.Product, Short: s.Short})
}

// UnmarshalJSON decodes what MarshalJSON encodes; a status without "product" and
// "short_cause" (from an older daemon) leaves them empty.
func (s *Status) UnmarshalJSON(data []byte) error {
	var js statusJSON
	if err := json.Unmarshal(data, &js); err != nil {
		return err
	}
	*s = Status(js.statusFields)
	s.Product, s.Short = js.Product, js.Short
	return nil
}
