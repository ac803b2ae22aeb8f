// Package usererr finds the text for people in an error. An error type
// whose text is written for the person at the prompt or on the page has a
// UserMessage method (the core packages' errors keep their package prefixes
// in Error, for logs); the faces show the first such message in the chain,
// and an error that has none as it is. Nothing here edits error text.
package usererr

import "errors"

// Messager is an error that knows its text for people.
type Messager interface {
	error
	UserMessage() string
}

// Error is an error written for people, wrapping its cause (which may be nil).
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string       { return e.Msg }
func (e *Error) UserMessage() string { return e.Msg }
func (e *Error) Unwrap() error       { return e.Err }

// New is an error written for people.
func New(msg string) error { return &Error{Msg: msg} }

// Message is err's text for people: the message of the first error in its
// chain that has one, else its text.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var m Messager
	if errors.As(err, &m) {
		return m.UserMessage()
	}
	return err.Error()
}
