package io.warren.master.task;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.TransactionException;

/** Tells a store failure that passes from one that would fail again. */
public final class StoreFailures {

	private StoreFailures() {
	}

	/**
	 * Whether a failure is the store being unreachable or busy (it passes), rather than
	 * the store refusing what it was given (it would fail again).
	 */
	public static boolean isTransient(Throwable ex) {
		return ex instanceof TransientDataAccessException || ex instanceof RecoverableDataAccessException
				|| ex instanceof DataAccessResourceFailureException || ex instanceof TransactionException;
	}

}
