// The Content-Security-Policy nonce of the response being rendered: the Remix scripts carry it, so they
// run under a policy that refuses every other inline script. Empty in the browser (which hides nonces).
import { createContext, useContext } from 'react';

const NonceContext = createContext<string>('');

export const NonceProvider = NonceContext.Provider;
export const useNonce = () => useContext(NonceContext);
