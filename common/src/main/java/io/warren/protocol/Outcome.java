package io.warren.protocol;

/** How one run of a handler ended. */
public enum Outcome {

	/** The handler returned; the result carries its value. */
	SUCCEEDED,

	/** The handler threw; the result carries the error. */
	FAILED

}
