/* matrix generators: placeholder */
