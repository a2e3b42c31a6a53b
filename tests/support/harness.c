/* harness: placeholder */
