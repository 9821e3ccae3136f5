// Stands in for your auth SDK's refreshing getter (an adapter from 'sw-bearer/adapters' in a real
// app): a token from the test's issuer, fresh when sw-bearer says the one it holds will not do.
export async function getAccessToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
  const response = await fetch(`https://auth.example.com/token?force=${forceRefresh ? 1 : 0}`)
  return (await response.json()).token
}
