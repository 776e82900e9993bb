import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api'
import { checkNewApp, errorField, filterApps, newAppBody } from './create'

describe('new app form', () => {
  it('asks for a name; the server checks the rest', () => {
    expect(checkNewApp({ name: '  ', applicationId: '' })).toEqual({ name: 'An app needs a name.' })
    expect(checkNewApp({ name: 'Shop', applicationId: 'has space' })).toEqual({})
  })

  it('sends the id only when given', () => {
    expect(newAppBody({ name: ' Shop ', applicationId: '' })).toEqual({ name: 'Shop' })
    expect(newAppBody({ name: 'Shop', applicationId: ' shop ' })).toEqual({ name: 'Shop', applicationId: 'shop' })
  })

  it("puts the server's error next to its field", () => {
    expect(errorField(new ApiError(409, 137, 'an app with application id "x" already exists'))).toEqual({
      applicationId: 'an app with application id "x" already exists',
    })
    expect(errorField(new ApiError(400, 142, 'name must be 1 to 100 characters'))).toEqual({ name: 'name must be 1 to 100 characters' })
    expect(errorField(new Error('network down'))).toEqual({ form: 'network down' })
  })

  it('filters by name or id', () => {
    const apps = [
      { name: 'Shop', applicationId: 'abc' },
      { name: 'Blog', applicationId: 'shopping' },
      { name: 'Chat', applicationId: 'xyz' },
    ]
    expect(filterApps(apps, 'SHOP').map((a) => a.name)).toEqual(['Shop', 'Blog'])
    expect(filterApps(apps, '')).toHaveLength(3)
  })
})
