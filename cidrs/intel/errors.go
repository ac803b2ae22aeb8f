package intel

import "github.com/investigator/investigator/internal/usererr"

// Error is a list file or a list that cannot be read, imported or fetched:
// what it is about (a file's name, a list), and why, written for people.
type Error struct {
	Subject string // the file or list; "" when the message names it
	Msg     string
	Err     error // the cause, when there is one
}

func (e *Error) Error() string { return "intel: " + e.UserMessage() }

// UserMessage is the subject and the reason: "notes.txt: no address or network in it".
func (e *Error) UserMessage() string {
	if e.Subject == "" {
		return e.Msg
	}
	return e.Subject + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// fileError is an Error about subject, with err's text for people.
func fileError(subject string, err error) *Error {
	return &Error{Subject: subject, Msg: usererr.Message(err), Err: err}
}
